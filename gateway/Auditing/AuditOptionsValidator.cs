using Microsoft.Extensions.Options;

namespace Platform.Gateway.Auditing;

/// <summary>Checks <c>Gateway:Audit</c> and reports every problem at once.</summary>
internal sealed class AuditOptionsValidator : IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SpoolDirectory))
        {
            errors.Add("Gateway:Audit:SpoolDirectory is required: audit events are spooled there while RabbitMQ is unreachable.");
        }

        if (options.MaxSegmentBytes < 64 * 1024)
        {
            errors.Add("Gateway:Audit:MaxSegmentBytes must be at least 65536.");
        }

        if (options.PublishBatchSize is < 1 or > 5000)
        {
            errors.Add("Gateway:Audit:PublishBatchSize must be between 1 and 5000.");
        }

        if (options.EventsPerMessage is < 1 or > 1000)
        {
            errors.Add("Gateway:Audit:EventsPerMessage must be between 1 and 1000.");
        }

        if (options.PublishLinger < TimeSpan.Zero || options.PublishLinger > TimeSpan.FromSeconds(5))
        {
            errors.Add("Gateway:Audit:PublishLinger must be between 0 and 5 seconds.");
        }

        if (options.SyncInterval <= TimeSpan.Zero || options.SyncInterval > TimeSpan.FromSeconds(10))
        {
            errors.Add("Gateway:Audit:SyncInterval must be between 0 and 10 seconds.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
