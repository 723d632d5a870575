namespace Platform.Retention.Closure;

/// <summary><c>Retention:Closure</c>: how long a closed organization stays read-only, and who must answer its deletion.</summary>
public sealed class ClosureOptions
{
    public const string Section = "Retention:Closure";

    /// <summary>Read-only and exportable, cancellable by an Owner, for this long after the request (SPEC RET-CLOSE: 30 days).</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often due closures are looked for (and unanswered ones asked again).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A service that has not answered is asked again after this (a new event; handlers are idempotent).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The services whose answers complete a closure (<c>Participants:N</c>): every region's storage by its queue name
    /// (<c>storage-us</c>…, <c>storage</c> for the single-region one), <c>keys</c>, <c>identity</c>. None set: <see cref="DefaultParticipants"/>.
    /// </summary>
    public List<string> Participants { get; set; } = [];

    public static readonly IReadOnlyList<string> DefaultParticipants = ["storage", "keys", "identity"];

    public IReadOnlyList<string> EffectiveParticipants => Participants.Count > 0 ? Participants : DefaultParticipants;

    /// <summary>Billing-class records are kept this long after closure (their legal period, 7 years).</summary>
    public int BillingRecordsKeptDays { get; set; } = 2555;
}
