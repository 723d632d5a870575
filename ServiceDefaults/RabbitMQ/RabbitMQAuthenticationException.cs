namespace Platform.ServiceDefaults.RabbitMQ;

/// <summary>
/// The broker refused the connection's user name or password (AMQP <c>ACCESS_REFUSED</c>). Unlike an unreachable
/// broker this does not fix itself by waiting, so the connection attempt gives up at once.
/// </summary>
/// <remarks>The message names the connection and the setting to correct; it never carries the credentials.</remarks>
public sealed class RabbitMQAuthenticationException(string connectionName, Exception innerException)
    : Exception(
        $"RabbitMQ authentication refused for connection '{connectionName}': correct the user name or password in " +
        $"'ConnectionStrings:{connectionName}' (environment variable 'ConnectionStrings__{connectionName}').",
        innerException)
{
    public string ConnectionName { get; } = connectionName;
}
