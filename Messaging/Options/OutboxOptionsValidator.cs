using Microsoft.Extensions.Options;

namespace Platform.Messaging.Options;

internal sealed class OutboxOptionsValidator : IValidateOptions<OutboxOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboxOptions options)
    {
        var errors = new OptionErrors(OutboxOptions.SectionName);
        errors.InRange(options.BatchSize, 1, 10_000, nameof(options.BatchSize));
        errors.InRange(options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5), nameof(options.PollInterval));
        errors.InRange(options.RetryDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1), nameof(options.RetryDelay));
        errors.InRange(options.MaxRetryDelay, options.RetryDelay, TimeSpan.FromHours(6), nameof(options.MaxRetryDelay));
        errors.InRange(options.AlertAfterAttempts, 1, 1_000_000, nameof(options.AlertAfterAttempts));
        errors.InRange(options.SentRetention, TimeSpan.Zero, TimeSpan.FromDays(3650), nameof(options.SentRetention));
        errors.InRange(options.PurgeInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1), nameof(options.PurgeInterval));

        return errors.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Errors);
    }
}
