using Npgsql;
using Platform.Messaging;

namespace Platform.Identity.Events;

/// <summary>Records audit events that go with no other write: each in its own transaction through the outbox.</summary>
internal sealed class AuditTrail(NpgsqlDataSource dataSource, IOutbox outbox)
{
    public async Task RecordAsync(IntegrationEvent audit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(audit, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
