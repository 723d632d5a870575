namespace Platform.ServiceDefaults;

/// <summary>Names of the activity sources and meters every service listens to.</summary>
public static class TelemetrySources
{
    /// <summary>Every source or meter a Platform service creates is named <c>Platform.Something</c>.</summary>
    public const string Platform = "Platform.*";

    public const string Npgsql = "Npgsql";

    // RabbitMQ.Client 7 traces publishes and deliveries itself under these names.
    public const string RabbitMQPublisher = "RabbitMQ.Client.Publisher";
    public const string RabbitMQSubscriber = "RabbitMQ.Client.Subscriber";
}
