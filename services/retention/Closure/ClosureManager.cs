using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Policies;
using Platform.Security.Authentication;

namespace Platform.Retention.Closure;

/// <summary>What became of a closure request or a cancellation.</summary>
internal enum ClosureChange
{
    Done,
    AlreadyClosing,
    NoClosure,
    GraceOver,
}

/// <summary>
/// Closes an organization (SPEC RET-CLOSE): the request makes it read-only at once (every service is told by
/// <c>organization.closure-requested</c>) for the grace period, within which an Owner may cancel it. Each change, its
/// event and its audit entry commit in one transaction (outbox).
/// </summary>
internal sealed partial class ClosureManager(NpgsqlDataSource dataSource, IOutbox outbox, IOptions<ClosureOptions> options, TimeProvider time, ILogger<ClosureManager> logger)
{
    public const string RequestedAction = "organization.closure.requested";
    public const string CancelledAction = "organization.closure.cancelled";

    public async Task<(OrganizationClosure Closure, ClosureChange Change)> RequestAsync(string organizationId, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var closure = new OrganizationClosure($"closure_{Guid.CreateVersion7(now):n}", organizationId, ClosureStatuses.Pending, now, context.Actor, now + options.Value.GracePeriod,
            null, null, null, null, null, null);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await ClosureStore.TryInsertAsync(closure, connection, transaction, cancellationToken))
        {
            return ((await ClosureStore.CurrentAsync(connection, transaction, organizationId, cancellationToken))!, ClosureChange.AlreadyClosing);
        }

        await outbox.EnqueueAsync(
            [
                new ClosureRequested { OrganizationId = organizationId, OccurredAt = now, ClosureId = closure.Id, GraceEndsAt = closure.GraceEndsAt, RequestedBy = context.Actor },
                PolicyManager.Audit(context, organizationId, RequestedAction, closure.Id, now, new() { ["graceEndsAt"] = closure.GraceEndsAt.ToString("O") }),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRequested(logger, closure.Id, organizationId, context.Actor, closure.GraceEndsAt);
        return (closure, ClosureChange.Done);
    }

    /// <summary>Cancels the pending closure within its grace period; after it (or once deletion began) nothing changes.</summary>
    public async Task<(OrganizationClosure? Closure, ClosureChange Change)> CancelAsync(string organizationId, ChangeContext context, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var closure = await ClosureStore.CurrentAsync(connection, transaction, organizationId, cancellationToken);
        if (closure is null || closure.Status == ClosureStatuses.Cancelled) return (closure, ClosureChange.NoClosure);
        var now = time.GetUtcNow();
        if (closure.Status != ClosureStatuses.Pending || now >= closure.GraceEndsAt) return (closure, ClosureChange.GraceOver);

        await using (var cancel = new NpgsqlCommand(
            "UPDATE organization_closures SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3 WHERE id = $1", connection, transaction))
        {
            foreach (var value in new object[] { closure.Id, now, context.Actor }) cancel.Parameters.Add(new() { Value = value });
            await cancel.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(
            [
                new ClosureCancelled { OrganizationId = organizationId, OccurredAt = now, ClosureId = closure.Id, CancelledBy = context.Actor },
                PolicyManager.Audit(context, organizationId, CancelledAction, closure.Id, now, new() { ["requestedAt"] = closure.RequestedAt.ToString("O") }),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogCancelled(logger, closure.Id, organizationId, context.Actor);
        return (closure with { Status = ClosureStatuses.Cancelled, CancelledAt = now, CancelledBy = context.Actor }, ClosureChange.Done);
    }

    [LoggerMessage(EventId = 1651, Level = LogLevel.Warning, Message = "Closure {ClosureId} of {OrganizationId} requested by {Actor}; deletion after {GraceEndsAt}")]
    private static partial void LogRequested(ILogger logger, string closureId, string organizationId, string actor, DateTimeOffset graceEndsAt);

    [LoggerMessage(EventId = 1652, Level = LogLevel.Information, Message = "Closure {ClosureId} of {OrganizationId} cancelled by {Actor}")]
    private static partial void LogCancelled(ILogger logger, string closureId, string organizationId, string actor);
}
