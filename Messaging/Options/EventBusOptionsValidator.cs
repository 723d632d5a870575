using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Platform.Messaging.Options;

internal sealed partial class EventBusOptionsValidator : IValidateOptions<EventBusOptions>
{
    public ValidateOptionsResult Validate(string? name, EventBusOptions options)
    {
        var errors = new OptionErrors(EventBusOptions.SectionName);
        errors.Require(ServiceNamePattern().IsMatch(options.ServiceName), nameof(options.ServiceName),
            "must be 1-64 lower-case letters, digits or '-', starting with a letter (it names the service's queues).");
        errors.Require(options.Prefetch is null or (>= 1 and <= ushort.MaxValue), nameof(options.Prefetch),
            $"must be empty or between 1 and {ushort.MaxValue}.");
        // Below the queue's own delivery limit (Topology.BrokerDeliveryLimit), so a reasoned dead letter comes first.
        errors.InRange(options.MaxDeliveryAttempts, 1, 20, nameof(options.MaxDeliveryAttempts));
        errors.InRange(options.RetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1), nameof(options.RetryDelay));
        errors.InRange(options.MaxRetryDelay, options.RetryDelay, TimeSpan.FromMinutes(5), nameof(options.MaxRetryDelay));
        errors.InRange(options.MaxMessageBytes, 1024, 16 * 1024 * 1024, nameof(options.MaxMessageBytes));
        errors.InRange(options.PublishConfirmTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), nameof(options.PublishConfirmTimeout));
        errors.InRange(options.MaxOutstandingConfirms, 1, 10_000, nameof(options.MaxOutstandingConfirms));
        errors.InRange(options.PublisherChannels, 1, 64, nameof(options.PublisherChannels));
        errors.InRange(options.ReconnectDelay, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1), nameof(options.ReconnectDelay));
        errors.InRange(options.MaxReconnectDelay, options.ReconnectDelay, TimeSpan.FromMinutes(10), nameof(options.MaxReconnectDelay));
        errors.InRange(options.InboxRetention, TimeSpan.FromHours(1), TimeSpan.FromDays(3650), nameof(options.InboxRetention));

        return errors.Errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Errors);
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,63}$")]
    private static partial Regex ServiceNamePattern();
}
