using Microsoft.Extensions.Logging;

namespace Platform.Messaging;

// Ids, types, counts and exception types only: never a message body, which may carry personal data.
internal static partial class MessagingLog
{
    [LoggerMessage(EventId = 2101, Level = LogLevel.Information,
        Message = "Consuming queue '{Queue}' (prefetch {Prefetch}, {Subscriptions} event type(s))")]
    public static partial void Consuming(this ILogger logger, string queue, ushort prefetch, int subscriptions);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning,
        Message = "Consumer of '{Queue}' lost its session (failure {Failures}); reconnecting in {Delay}")]
    public static partial void ConsumerSessionFailed(this ILogger logger, string queue, int failures, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2112, Level = LogLevel.Warning,
        Message = "Connection to RabbitMQ lost ({ReplyCode} {ReplyText}); the client reconnects by itself")]
    public static partial void ConnectionLost(this ILogger logger, ushort replyCode, string replyText);

    [LoggerMessage(EventId = 2113, Level = LogLevel.Information, Message = "Connection to RabbitMQ recovered; consuming '{Queue}' again")]
    public static partial void ConnectionRecovered(this ILogger logger, string queue);

    [LoggerMessage(EventId = 2114, Level = LogLevel.Warning, Message = "Reconnecting to RabbitMQ failed ({ExceptionType}); the client tries again")]
    public static partial void ConnectionRecoveryFailed(this ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 2115, Level = LogLevel.Error,
        Message = "RabbitMQ refused the user name or password of connection '{ConnectionName}': correct them in 'ConnectionStrings:{ConnectionName}' (environment variable 'ConnectionStrings__{ConnectionName}')")]
    public static partial void AuthenticationRefused(this ILogger logger, string connectionName);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning,
        Message = "Processing paused for {Pending} message(s): the database or broker failed; retrying in {Delay}")]
    public static partial void ProcessingPaused(this ILogger logger, int pending, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning,
        Message = "Could not acknowledge {Count} message(s) ({ExceptionType}); they will be redelivered and deduplicated")]
    public static partial void AckFailed(this ILogger logger, int count, string exceptionType);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning,
        Message = "Message {MessageId} dead-lettered without handling: {ReasonCode}")]
    public static partial void Rejected(this ILogger logger, string? messageId, string reasonCode);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning,
        Message = "A batch of {Count} '{Type}' events failed ({ExceptionType}); applying them one by one")]
    public static partial void BatchSplit(this ILogger logger, string type, int count, string exceptionType);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning,
        Message = "Handler for {MessageId} ('{Type}') failed on attempt {Attempt} of {MaxAttempts}; requeued after {Delay}")]
    public static partial void HandlerFailed(this ILogger logger, string? messageId, string type, int attempt, int maxAttempts, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Error,
        Message = "Handler for {MessageId} ('{Type}') failed on attempt {Attempt}, the last one; the message is in the dead-letter queue")]
    public static partial void HandlerGaveUp(this ILogger logger, string? messageId, string type, int attempt, Exception exception);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Information,
        Message = "Dead letter {MessageId} replayed to routing key '{RoutingKey}' by {Service}")]
    public static partial void DeadLetterReplayed(this ILogger logger, string messageId, string routingKey, string service);

    [LoggerMessage(EventId = 2110, Level = LogLevel.Information, Message = "Forgot {Count} inbox entries processed before {Cutoff}")]
    public static partial void InboxPurged(this ILogger logger, int count, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 2111, Level = LogLevel.Warning, Message = "Could not purge the inbox; trying again later")]
    public static partial void InboxPurgeFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning,
        Message = "{Failed} of {Total} outbox event(s) not published ({ExceptionType}: {Reason}); next attempt in {RetryIn}")]
    public static partial void OutboxPublishFailed(this ILogger logger, int failed, int total, TimeSpan retryIn, string exceptionType, string reason);

    [LoggerMessage(EventId = 2121, Level = LogLevel.Error,
        Message = "{Count} outbox event(s) still unpublished after {Threshold} or more attempts (oldest {EventId}, '{Type}', {Attempts} attempts); they keep being retried")]
    public static partial void OutboxRowsStuck(this ILogger logger, int count, int threshold, string eventId, string type, int attempts);

    [LoggerMessage(EventId = 2122, Level = LogLevel.Warning, Message = "Outbox relay pass failed; next pass in {Delay}")]
    public static partial void RelayPassFailed(this ILogger logger, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 2123, Level = LogLevel.Warning,
        Message = "Outbox notifications unavailable ({ExceptionType}); polling meanwhile, listening again in {Delay}")]
    public static partial void OutboxListenFailed(this ILogger logger, TimeSpan delay, string exceptionType);

    [LoggerMessage(EventId = 2124, Level = LogLevel.Information, Message = "Purged {Count} outbox rows sent before {Cutoff}")]
    public static partial void OutboxPurged(this ILogger logger, int count, DateTimeOffset cutoff);
}
