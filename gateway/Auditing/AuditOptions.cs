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

    public int PublishBatchSize { get; set; } = 500;

    /// <summary>How often appended events are forced to disk (fsync); between syncs they are in the OS page cache.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long the publisher lets events gather after sending a batch that was not full. Every publish costs a
    /// confirm round trip, and the broker, the audit service and its database each pay per batch: a few large
    /// batches cost far less CPU than a batch per request. Events are on disk meanwhile; only their delivery waits.
    /// </summary>
    public TimeSpan PublishInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How often the position of what RabbitMQ confirmed is saved (also when a segment is finished and when the
    /// gateway stops). After a crash, events confirmed since are sent again; the audit service ignores an event id
    /// it already has, so this costs duplicates on the wire, never in the trail.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The region this gateway serves, recorded with every event.</summary>
    public string? Region { get; set; }
}
