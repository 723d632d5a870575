using Npgsql;
using Platform.Residency.Events;
using Platform.Messaging;
using Platform.Security.Authentication;

namespace Platform.Residency.Security;

/// <summary>Files refusals and operator uses as <c>audit.recorded</c> through the outbox (its own transaction).</summary>
internal sealed partial class OutboxSecurityAudit(
    NpgsqlDataSource dataSource, IOutbox outbox, TimeProvider time, ILogger<OutboxSecurityAudit> logger) : ISecurityAudit
{
    public async Task RecordAsync(SecurityAuditEntry entry, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await outbox.EnqueueAsync(new AuditRecorded
            {
                OccurredAt = time.GetUtcNow(), OrganizationId = entry.OrganizationId, Actor = entry.Actor, Action = entry.Action, Target = entry.Target,
                Outcome = entry.Outcome, Ip = entry.Ip, RequestId = entry.RequestId, Details = entry.Details,
            }, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            LogNotRecorded(logger, entry.Action, entry.Actor, exception.GetType().Name);
        }
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Error, Message = "Audit entry {Action} of {Actor} could not be written ({Reason})")]
    private static partial void LogNotRecorded(ILogger logger, string action, string actor, string reason);
}
