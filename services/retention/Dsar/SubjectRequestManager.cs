using Npgsql;
using Platform.Messaging;
using Platform.Retention.Data;
using Platform.Retention.Policies;
using Platform.Security.Authentication;

namespace Platform.Retention.Dsar;

/// <summary>
/// Registers data-subject requests with their deadline (one month, GDPR Art. 12(3)) and extends one once by two months
/// with a recorded reason. Each change and its audit entry commit in one transaction (outbox). The audit entries name
/// the request and the subject's user id, never the email. Registering also asks every participant service for its
/// part (an export, or an erasure with the legal holds that concern the person) in the same transaction.
/// </summary>
internal sealed partial class SubjectRequestManager(NpgsqlDataSource dataSource, HoldStore holds, IOutbox outbox, TimeProvider time, ILogger<SubjectRequestManager> logger)
{
    public const string RegisteredAction = "subject-request.registered";
    public const string ExtendedAction = "subject-request.extended";

    public async Task<SubjectRequest> RegisterAsync(string organizationId, string userId, string email, string type, bool includeObjects, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var request = new SubjectRequest($"dsr_{Guid.CreateVersion7(now):n}", organizationId, userId, email, type, "open", now, context.Actor, now.AddMonths(1),
            null, null, null, null, includeObjects, now, 1);
        var held = request.IsExport ? null : SubjectAsks.HoldsFor(await holds.ListAsync(organizationId, includeReleased: false, cancellationToken), userId);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await SubjectRequestStore.InsertAsync(request, SubjectAsks.Serialize(held), connection, transaction, cancellationToken);
        await outbox.EnqueueAsync(SubjectAsks.Ask(request, held, now), transaction, cancellationToken);
        await outbox.EnqueueAsync(PolicyManager.Audit(context, organizationId, RegisteredAction, request.Id, now,
            new() { ["type"] = type, ["subject"] = userId, ["dueAt"] = request.DueAt.ToString("O"), ["includeObjects"] = includeObjects ? "true" : "false" }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRegistered(logger, request.Id, type, organizationId, context.Actor);
        return request;
    }

    /// <summary>The extended request; null when the organization has none by that id; unchanged with <c>AlreadyExtended</c> when it was extended before.</summary>
    public async Task<(SubjectRequest? Request, bool AlreadyExtended)> ExtendAsync(string organizationId, string id, string reason, ChangeContext context, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await SubjectRequestStore.FindAsync(connection, transaction, organizationId, id, cancellationToken) is not { } request) return (null, false);
        if (request.ExtendedAt is not null) return (request, true);
        var now = time.GetUtcNow();
        var extended = request with { DueAt = request.DueAt.AddMonths(2), ExtendedAt = now, ExtendedBy = context.Actor, ExtensionReason = reason };
        await SubjectRequestStore.ExtendAsync(extended, connection, transaction, cancellationToken);
        await outbox.EnqueueAsync(PolicyManager.Audit(context, organizationId, ExtendedAction, request.Id, now,
            new() { ["reason"] = reason, ["dueAt"] = extended.DueAt.ToString("O"), ["previousDueAt"] = request.DueAt.ToString("O") }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogExtended(logger, request.Id, organizationId, context.Actor);
        return (extended, false);
    }

    [LoggerMessage(EventId = 1673, Level = LogLevel.Information, Message = "Data-subject request {RequestId} ({Type}) of {OrganizationId} registered by {Actor}")]
    private static partial void LogRegistered(ILogger logger, string requestId, string type, string organizationId, string actor);

    [LoggerMessage(EventId = 1674, Level = LogLevel.Information, Message = "Data-subject request {RequestId} of {OrganizationId} extended by {Actor}")]
    private static partial void LogExtended(ILogger logger, string requestId, string organizationId, string actor);
}
