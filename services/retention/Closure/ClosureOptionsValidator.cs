using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Platform.Retention.Closure;

/// <summary>Checks <c>Retention:Closure</c> at start-up, every error at once.</summary>
internal sealed partial class ClosureOptionsValidator : IValidateOptions<ClosureOptions>
{
    public ValidateOptionsResult Validate(string? name, ClosureOptions options)
    {
        var errors = new List<string>();
        // Seconds are allowed for tests; a deployment keeps the 30 days its terms promise.
        if (options.GracePeriod < TimeSpan.FromSeconds(1) || options.GracePeriod > TimeSpan.FromDays(365)) errors.Add($"{ClosureOptions.Section}:GracePeriod must be between 1 second and 365 days.");
        if (options.Interval < TimeSpan.FromMilliseconds(100) || options.Interval > TimeSpan.FromHours(1)) errors.Add($"{ClosureOptions.Section}:Interval must be between 100 ms and 1 hour.");
        if (options.RetryDelay < TimeSpan.FromSeconds(1) || options.RetryDelay > TimeSpan.FromDays(1)) errors.Add($"{ClosureOptions.Section}:RetryDelay must be between 1 second and 1 day.");
        for (var index = 0; index < options.Participants.Count; index++)
        {
            if (!ParticipantPattern().IsMatch(options.Participants[index])) errors.Add($"{ClosureOptions.Section}:Participants:{index} must be a service name (storage, storage-<region>, keys, identity).");
        }

        if (options.Participants.Distinct(StringComparer.Ordinal).Count() != options.Participants.Count) errors.Add($"{ClosureOptions.Section}:Participants must be unique.");
        if (options.BillingRecordsKeptDays is < 1 or > 36500) errors.Add($"{ClosureOptions.Section}:BillingRecordsKeptDays must be from 1 to 36500.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^(storage(-[a-z0-9]{1,16})?|keys|identity)$")]
    private static partial Regex ParticipantPattern();
}
