using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Platform.ServiceDefaults.Clients;

/// <summary>What a client's connection string must look like, checked with the client library's own parser.</summary>
/// <param name="Shape">The expected form for an error message, such as <c>an AMQP URI (amqp://…)</c>: never the value.</param>
/// <param name="SettingsSection">
/// The Aspire integration's settings section: its <c>ConnectionString</c> key is read when <c>ConnectionStrings</c>
/// has none, as the integration itself does.
/// </param>
/// <param name="Parse">The library's parser; it throws when the library would refuse the value.</param>
internal sealed record ConnectionStringFormat(string Shape, string SettingsSection, Action<string> Parse)
{
    // NpgsqlDataSourceBuilder parses the string with this same builder.
    public static ConnectionStringFormat Npgsql { get; } = new(
        "a PostgreSQL connection string (Host=…;Port=…;Username=…;Password=…;Database=…)",
        "Aspire:Npgsql",
        connectionString => _ = new NpgsqlConnectionStringBuilder(connectionString));

    public static ConnectionStringFormat Redis { get; } = new(
        "a StackExchange.Redis configuration string (host:port,password=…)",
        "Aspire:StackExchange:Redis",
        connectionString => ConfigurationOptions.Parse(connectionString));

    // The factory's setter refuses schemes other than amqp and amqps.
    public static ConnectionStringFormat Amqp { get; } = new(
        "an AMQP URI (amqp://user:password@host:port[/vhost])",
        "Aspire:RabbitMQ:Client",
        connectionString => _ = new ConnectionFactory { Uri = new Uri(connectionString) });

    /// <summary>The format of the client Aspire registers as <typeparamref name="TClient"/>.</summary>
    public static ConnectionStringFormat For<TClient>() => typeof(TClient) switch
    {
        var type when type == typeof(NpgsqlDataSource) => Npgsql,
        var type when type == typeof(IConnectionMultiplexer) => Redis,
        var type when type == typeof(IConnection) => Amqp,
        var type => throw new ArgumentOutOfRangeException(
            nameof(TClient), type, "Only NpgsqlDataSource, IConnectionMultiplexer and IConnection have a known format."),
    };

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
