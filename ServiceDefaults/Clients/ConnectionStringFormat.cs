namespace Platform.ServiceDefaults.Clients;

/// <summary>What a client's connection string must look like, checked with the client library's own parser.</summary>
/// <param name="Shape">The expected form for an error message, such as <c>an AMQP URI (amqp://…)</c>: never the value.</param>
/// <param name="Parse">The library's parser; it throws when the library would refuse the value.</param>
internal sealed record ConnectionStringFormat(string Shape, Action<string> Parse)
{
    public bool Accepts(string connectionString)
    {
        try
        {
            Parse(connectionString);
            return true;
        }
        // UriFormatException is a FormatException; Npgsql, StackExchange.Redis and RabbitMQ.Client throw the others.
        catch (Exception exception) when (exception is ArgumentException or FormatException)
        {
            return false;
        }
    }
}
