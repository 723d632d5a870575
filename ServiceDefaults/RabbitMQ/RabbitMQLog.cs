using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.RabbitMQ;

// Endpoints and virtual hosts only: the URI's credentials never reach a log line.
internal static partial class RabbitMQLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
        Message = "Connecting to RabbitMQ '{ConnectionName}' at {Host}:{Port}, virtual host '{VirtualHost}'")]
    public static partial void Connecting(this ILogger logger, string connectionName, string host, int port, string virtualHost);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information,
        Message = "Connected to RabbitMQ '{ConnectionName}' after {Attempts} attempt(s)")]
    public static partial void Connected(this ILogger logger, string connectionName, int attempts);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning,
        Message = "RabbitMQ '{ConnectionName}' is unreachable ({ExceptionType}); retry {Retry} in {Delay}")]
    public static partial void ConnectRetrying(this ILogger logger, string connectionName, string exceptionType, int retry, TimeSpan delay);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error,
        Message = "RabbitMQ authentication refused for connection '{ConnectionName}' at {Host}:{Port}; not retrying: correct the user name or password in ConnectionStrings:{ConnectionName}")]
    public static partial void AuthenticationRefused(this ILogger logger, string connectionName, string host, int port);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error,
        Message = "Could not connect to RabbitMQ '{ConnectionName}'; the next caller will try again")]
    public static partial void ConnectFailed(this ILogger logger, string connectionName, Exception exception);
}
