namespace Platform.Messaging;

/// <summary>Some events were not confirmed by RabbitMQ: nacked, returned, timed out or lost with the connection.</summary>
public sealed class EventPublishException : Exception
{
    public EventPublishException(string message, IReadOnlyList<string> failedEventIds, Exception? innerException)
        : base(message, innerException)
    {
        FailedEventIds = failedEventIds;
    }

    /// <summary>Ids of the events that may not have reached the broker; publishing them again is safe (consumers dedupe).</summary>
    public IReadOnlyList<string> FailedEventIds { get; }
}
