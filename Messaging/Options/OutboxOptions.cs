namespace Platform.Messaging;

/// <summary>The outbox relay, bound from <c>Messaging:Outbox</c>; checked at start-up.</summary>
public sealed class OutboxOptions
{
    public const string SectionName = "Messaging:Outbox";

    /// <summary>Rows locked, published and marked per transaction.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>The longest sleep between two looks at the table, should a notification be missed.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait after a row's first failed publish, doubling per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>From this many failed attempts on, every further failure of a row is logged as an error.</summary>
    public int AlertAfterAttempts { get; set; } = 10;

    /// <summary>How long sent rows are kept (for inspection) before they are purged.</summary>
    public TimeSpan SentRetention { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromHours(1);
}
