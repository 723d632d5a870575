namespace Platform.Messaging;

/// <summary>The event bus of one service, bound from <c>Messaging:EventBus</c>; checked at start-up.</summary>
public sealed class EventBusOptions
{
    public const string SectionName = "Messaging:EventBus";

    /// <summary>Names the service's queue (<c>audit</c>) and dead-letter queue (<c>audit.dead-letters</c>).</summary>
    public string ServiceName { get; set; } = "";

    /// <summary>Unacknowledged deliveries the broker may push ahead; empty means 200 with a batch subscription, else 50.</summary>
    public int? Prefetch { get; set; }

    /// <summary>Attempts of a failing handler before its message is dead-lettered with the failure as reason.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>The wait before a failed message is requeued, doubling per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Larger messages are refused by the publisher and dead-lettered by the consumer.</summary>
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>How long a publish waits for the broker's confirm before it counts as failed.</summary>
    public TimeSpan PublishConfirmTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Publishes in flight per channel while a batch waits for confirms.</summary>
    public int MaxOutstandingConfirms { get; set; } = 256;

    /// <summary>Confirm channels kept open for concurrent publishers.</summary>
    public int PublisherChannels { get; set; } = 4;

    /// <summary>The first wait before the consumer tries again to reach the broker, doubling up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long processed event ids are remembered; a redelivery after that would be applied again.</summary>
    public TimeSpan InboxRetention { get; set; } = TimeSpan.FromDays(30);
}
