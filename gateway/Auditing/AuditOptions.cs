namespace Platform.Gateway.Auditing;

/// <summary><c>Gateway:Audit</c>: where the local spool lives and how it drains.</summary>
internal sealed class AuditOptions
{
    public const string SectionName = "Gateway:Audit";

    /// <summary>
    /// The spool's parent folder. Each gateway process takes (locks) one <c>spool-N</c> folder in it, so replicas
    /// never share a spool and a restarted replica drains what a dead one left.
    /// </summary>
    public string SpoolDirectory { get; set; } = "";

    public long MaxSegmentBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Events read from the spool and published (confirmed) together, in messages of <see cref="EventsPerMessage"/>.</summary>
    public int PublishBatchSize { get; set; } = 2000;

    /// <summary>
    /// Events per RabbitMQ message. At request rate one message per event costs the broker and the audit service far
    /// more than the events themselves; the audit service accepts up to 1000 per message.
    /// </summary>
    public int EventsPerMessage { get; set; } = 250;

    /// <summary>
    /// After publishing less than a full message, how long the publisher lets events gather before it reads the spool
    /// again: at request rate this fills messages instead of sending one per handful of events.
    /// </summary>
    public TimeSpan PublishLinger { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often appended events are forced to disk (fsync); between syncs they are in the OS page cache.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The region this gateway serves, recorded with every event.</summary>
    public string? Region { get; set; }
}
