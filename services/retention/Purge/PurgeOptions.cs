using Platform.Messaging.Contracts;

namespace Platform.Retention.Purge;

/// <summary><c>Retention:Purge</c>: how often expired items are looked for, and what proves their deletion.</summary>
public sealed class PurgeOptions
{
    public const string Section = "Retention:Purge";

    /// <summary>How often the scheduler looks for expired items.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Zero retention: an item under a 0-day policy goes at the latest this long after it was stored.</summary>
    public TimeSpan ZeroRetentionGrace { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The classes purged (<c>Classes:N</c>); none set: storage's expiring object classes and the audit service's log
    /// classes, <see cref="DefaultClasses"/>. (Empty by default: the configuration binder adds to a list, never replaces it.)
    /// </summary>
    public List<string> Classes { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultClasses =
        [DataClasses.Image, DataClasses.DetectionResult, DataClasses.Heatmap, DataClasses.RequestLog, DataClasses.AuditLog];

    /// <summary>How often an organization's whole log classes (the audit service's) are asked for, once answered.</summary>
    public TimeSpan LogInterval { get; set; } = TimeSpan.FromHours(1);

    public IReadOnlyList<string> EffectiveClasses => Classes.Count > 0 ? Classes : DefaultClasses;

    /// <summary>Items per purge request (one event).</summary>
    public int BatchSize { get; set; } = 200;

    /// <summary>
    /// Items asked for and not yet answered (within the last <see cref="RetryDelay"/>) at most, over every organization:
    /// a pass asks batch after batch, one per organization and class in turn, until nothing expired is left or this many
    /// are in flight; the owners' answers make room for the next pass.
    /// </summary>
    public int MaxInFlight { get; set; } = 5000;

    /// <summary>How soon the next pass runs after one that stopped at <see cref="MaxInFlight"/> with expired items left (at most <see cref="Interval"/>).</summary>
    public TimeSpan BusyInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>An unanswered request is sent again after this, doubling per attempt up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>From this many unanswered attempts on, each retry is also a <c>retention.purge.overdue</c> audit event and an error log.</summary>
    public int AlertAfterAttempts { get; set; } = 3;

    /// <summary>Secret text whose SHA-256 is the Ed25519 seed that signs deletion receipts (the AppHost's <c>retention-receipt-key</c>).</summary>
    public string SigningKey { get; set; } = "";
}
