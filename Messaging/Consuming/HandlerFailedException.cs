namespace Platform.Messaging.Consuming;

/// <summary>
/// The handler (or its own writes at commit) failed: the message is retried and in the end dead-lettered. Every
/// other failure while consuming is the infrastructure's (database or broker unreachable), which pauses the
/// consumer instead of spending the message's attempts.
/// </summary>
internal sealed class HandlerFailedException(Exception innerException)
    : Exception("The event handler failed.", innerException);
