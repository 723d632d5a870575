using Microsoft.Extensions.Options;
using Platform.Messaging.Contracts;

namespace Platform.Retention.Purge;

/// <summary>Checks <c>Retention:Purge</c> at start-up, every error at once, naming settings and never the key.</summary>
internal sealed class PurgeOptionsValidator : IValidateOptions<PurgeOptions>
{
    public ValidateOptionsResult Validate(string? name, PurgeOptions options)
    {
        var errors = new List<string>();
        if (options.Interval < TimeSpan.FromMilliseconds(100) || options.Interval > TimeSpan.FromHours(1)) errors.Add($"{PurgeOptions.Section}:Interval must be between 100 ms and 1 hour.");
        if (options.ZeroRetentionGrace < TimeSpan.Zero || options.ZeroRetentionGrace > TimeSpan.FromHours(1)) errors.Add($"{PurgeOptions.Section}:ZeroRetentionGrace must be between 0 and 1 hour.");
        for (var index = 0; index < options.Classes.Count; index++)
        {
            if (!PurgeOptions.DefaultClasses.Contains(options.Classes[index]))
                errors.Add($"{PurgeOptions.Section}:Classes:{index} must be one of {string.Join(", ", PurgeOptions.DefaultClasses)}.");
        }

        if (options.LogInterval < TimeSpan.FromSeconds(1) || options.LogInterval > TimeSpan.FromDays(1)) errors.Add($"{PurgeOptions.Section}:LogInterval must be between 1 s and 1 day.");
        if (options.BatchSize is < 1 or > 1000) errors.Add($"{PurgeOptions.Section}:BatchSize must be from 1 to 1000.");
        if (options.MaxInFlight is < 1 or > 1_000_000) errors.Add($"{PurgeOptions.Section}:MaxInFlight must be from 1 to 1,000,000.");
        if (options.BusyInterval < TimeSpan.FromMilliseconds(10) || options.BusyInterval > TimeSpan.FromMinutes(1)) errors.Add($"{PurgeOptions.Section}:BusyInterval must be between 10 ms and 1 minute.");
        if (options.RetryDelay < TimeSpan.FromSeconds(1) || options.RetryDelay > options.MaxRetryDelay) errors.Add($"{PurgeOptions.Section}:RetryDelay must be at least 1 s and at most MaxRetryDelay.");
        if (options.AlertAfterAttempts is < 1 or > 100) errors.Add($"{PurgeOptions.Section}:AlertAfterAttempts must be from 1 to 100.");
        if (options.SigningKey is not { Length: >= 32 }) errors.Add($"{PurgeOptions.Section}:SigningKey must have at least 32 characters.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
