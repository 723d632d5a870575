using Microsoft.Extensions.Options;
using Platform.Retention.Closure;

namespace Platform.Retention.Dsar;

/// <summary><c>Retention:SubjectRequests</c>: who answers a data-subject request, and how often an unanswered one is asked again.</summary>
public sealed class SubjectRequestOptions
{
    public const string Section = "Retention:SubjectRequests";

    /// <summary>How often unanswered requests are looked for.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A service that has not answered is asked again after this (a new event; handlers are idempotent).</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The services whose answers complete a request (<c>Participants:N</c>). None set: the closure's participants
    /// (every region's storage, keys, identity) and <c>audit</c>.
    /// </summary>
    public List<string> Participants { get; set; } = [];

    public IReadOnlyList<string> EffectiveParticipants(ClosureOptions closure) =>
        Participants.Count > 0 ? Participants : [.. closure.EffectiveParticipants, "audit"];
}

/// <summary>Checks <c>Retention:SubjectRequests</c> at start-up, every error at once.</summary>
internal sealed class SubjectRequestOptionsValidator : IValidateOptions<SubjectRequestOptions>
{
    public ValidateOptionsResult Validate(string? name, SubjectRequestOptions options)
    {
        var errors = new List<string>();
        if (options.Interval <= TimeSpan.Zero) errors.Add($"{SubjectRequestOptions.Section}:Interval must be positive.");
        if (options.RetryDelay <= TimeSpan.Zero) errors.Add($"{SubjectRequestOptions.Section}:RetryDelay must be positive.");
        if (options.Participants.Any(string.IsNullOrWhiteSpace) || options.Participants.Distinct(StringComparer.Ordinal).Count() != options.Participants.Count)
            errors.Add($"{SubjectRequestOptions.Section}:Participants must be distinct, non-empty service names.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
