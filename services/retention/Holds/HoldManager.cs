using Platform.Security.Authentication;
using Npgsql;
using Platform.Messaging;
using Platform.Retention.Data;
using Platform.Retention.Events;
using Platform.Retention.Model;
using Platform.Retention.Policies;

namespace Platform.Retention.Holds;

/// <summary>
/// Places and releases legal holds (SPEC RET-HOLD, S3 Object Lock legal-hold semantics): no expiry, one active hold
/// per target, ended only by an explicit release, which is recorded and never deletes the hold. Each change, its
/// event and its audit entry commit in one transaction (outbox).
/// </summary>
internal sealed partial class HoldManager(NpgsqlDataSource dataSource, IOutbox outbox, TimeProvider time, ILogger<HoldManager> logger)
{
    public const string PlacedAction = "legal-hold.placed";
    public const string ReleasedAction = "legal-hold.released";

    /// <summary>The new hold, or null when an active hold already covers that target.</summary>
    public async Task<LegalHold?> PlaceAsync(string organizationId, string scope, string target, string reason, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hold = new LegalHold($"hold_{Guid.CreateVersion7(now):n}", organizationId, scope, target, reason, now, context.Actor, null, null, null);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await HoldStore.TryInsertAsync(hold, transaction, cancellationToken)) return null;
        await outbox.EnqueueAsync(
            [
                new LegalHoldPlaced { OrganizationId = organizationId, OccurredAt = now, HoldId = hold.Id, Scope = scope, Target = target },
                PolicyManager.Audit(context, organizationId, PlacedAction, hold.Id, now, new() { ["scope"] = scope, ["target"] = target }),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogPlaced(logger, hold.Id, organizationId, scope, context.Actor);
        return hold;
    }

    /// <summary>The released hold; null when the organization has no such hold; unchanged (still released) when it was released before.</summary>
    public async Task<(LegalHold? Hold, bool AlreadyReleased)> ReleaseAsync(string organizationId, string holdId, string reason, ChangeContext context, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await HoldStore.LockAsync(organizationId, holdId, transaction, cancellationToken) is not { } hold) return (null, false);
        if (!hold.Active) return (hold, true);

        var now = time.GetUtcNow();
        var released = hold with { ReleasedAt = now, ReleasedBy = context.Actor, ReleaseReason = reason };
        await HoldStore.ReleaseAsync(released, transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                new LegalHoldReleased { OrganizationId = organizationId, OccurredAt = now, HoldId = hold.Id, Scope = hold.Scope, Target = hold.Target },
                PolicyManager.Audit(context, organizationId, ReleasedAction, hold.Id, now, new() { ["scope"] = hold.Scope, ["target"] = hold.Target }),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogReleased(logger, hold.Id, organizationId, context.Actor);
        return (released, false);
    }

    [LoggerMessage(EventId = 1631, Level = LogLevel.Information, Message = "Legal hold {HoldId} placed on a {Scope} of {OrganizationId} by {Actor}")]
    private static partial void LogPlaced(ILogger logger, string holdId, string organizationId, string scope, string actor);

    [LoggerMessage(EventId = 1632, Level = LogLevel.Information, Message = "Legal hold {HoldId} of {OrganizationId} released by {Actor}")]
    private static partial void LogReleased(ILogger logger, string holdId, string organizationId, string actor);
}
