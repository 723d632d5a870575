using Npgsql;
using Platform.Audit.Data;
using Platform.Audit.Events;
using Platform.Security.Authentication;

namespace Platform.Audit.Security;

/// <summary>The audit service files its own refusals and operator uses straight into its store.</summary>
internal sealed partial class StoreSecurityAudit(NpgsqlDataSource dataSource, AuditStore store, TimeProvider time, ILogger<StoreSecurityAudit> logger) : ISecurityAudit
{
    public async Task RecordAsync(SecurityAuditEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await store.InsertAsync([new AuditRecorded
            {
                OccurredAt = time.GetUtcNow(), OrganizationId = entry.OrganizationId, Actor = entry.Actor, Action = entry.Action, Target = entry.Target,
                Outcome = entry.Outcome, Ip = entry.Ip, RequestId = entry.RequestId, Details = entry.Details,
            }], connection, null, cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            LogNotRecorded(logger, entry.Action, entry.Actor, exception.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Error, Message = "Audit entry {Action} of {Actor} could not be written ({Reason})")]
    private static partial void LogNotRecorded(ILogger logger, string action, string actor, string reason);
}
