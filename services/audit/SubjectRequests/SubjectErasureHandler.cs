using Npgsql;
using Platform.Audit.Log;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Audit.SubjectRequests;

/// <summary>
/// The audit log's part of an erasure (GDPR Art. 17), in the inbox's transaction: every entry of the organization about
/// the person keeps its place in the tamper-evident log, with its personal fields (target, IP, user agent, details)
/// erased by <see cref="LogStore.EraseAsync"/> (as <see cref="LogStore.ErasePersonalDataAsync"/>): value and salt removed, the salted commitment kept, so
/// the leaf, every proof and every signed checkpoint stay valid and the erased value cannot be confirmed by guessing.
/// Entries stored before the log existed (schema step 2: never hashed, no salts) lose the same fields outright. The
/// actor, action, outcome and time are in the leaf in clear and stay: the actor is a pseudonymous id (<c>usr_…</c>) that
/// identity no longer maps to the person. A hold on the organization, the person or the audit data classes keeps every
/// entry (counted, 1,000 listed). Safe to run again: erased entries are erased already.
/// </summary>
internal sealed partial class SubjectErasureHandler(IOutbox outbox, TimeProvider time, ILogger<SubjectErasureHandler> logger) : IIntegrationEventHandler<SubjectErasureRequested>
{
    private const int Batch = 1000;

    public async Task HandleAsync(SubjectErasureRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.OrganizationId is not { } organizationId) return;
        var holds = request.Holds;
        var held = new List<ClosureHeldItem>();
        long heldCount = 0, erased = 0, erasedUnhashed = 0;
        var holdReason = holds.Organization ? "legal hold on the organization"
            : holds.Users.Contains(request.SubjectUserId) ? "legal hold on the person's data"
            : holds.DataClasses.FirstOrDefault(c => c is DataClasses.AuditLog or DataClasses.RequestLog) is { } heldClass ? $"legal hold on data class {heldClass}"
            : null;
        if (holdReason is not null)
        {
            await using var command = new NpgsqlCommand($"SELECT event_id, count(*) OVER () FROM audit_events WHERE {SubjectEntries.About} ORDER BY occurred_at, id LIMIT 1000",
                context.Connection, context.Transaction);
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = request.SubjectUserId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held.Add(new ClosureHeldItem("audit-entry", reader.GetString(0), holdReason));
                heldCount = reader.GetInt64(1);
            }
        }
        else
        {
            while (true)
            {
                var entries = new List<(StoredEntry Entry, bool Hashed)>();
                await using (var select = new NpgsqlCommand($"""
                    SELECT {LogStore.EntryColumns}, log_id IS NOT NULL FROM audit_events WHERE {SubjectEntries.About} AND erased IS NULL ORDER BY id LIMIT {Batch} FOR UPDATE
                    """, context.Connection, context.Transaction))
                {
                    select.Parameters.Add(new() { Value = organizationId });
                    select.Parameters.Add(new() { Value = request.SubjectUserId });
                    await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken)) entries.Add((LogStore.Read(reader), reader.GetBoolean(19)));
                }

                if (entries.Count == 0) break;
                foreach (var (entry, hashed) in entries)
                {
                    await LogStore.EraseAsync(entry, context.Connection, context.Transaction, cancellationToken);
                    if (hashed) erased++;
                    else erasedUnhashed++;
                }
            }
        }

        await outbox.EnqueueAsync(new SubjectErasureAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = SubjectEntries.Participant,
            Erased = new Dictionary<string, long> { ["auditEntriesErased"] = erased, ["auditEntriesBeforeTheLogErased"] = erasedUnhashed },
            Held = held, HeldCount = heldCount,
            Kept =
            [
                new ClosureHeldItem("audit-entry-fields", request.SubjectUserId,
                    "each entry's place, time, actor id, action and outcome stay in the tamper-evident log (its leaf is hashed); the personal fields are erased, their salted commitments kept"),
            ],
        }, context.Transaction, cancellationToken);
        LogErased(logger, request.RequestId, organizationId, erased + erasedUnhashed, heldCount);
    }

    [LoggerMessage(EventId = 7602, Level = LogLevel.Warning, Message = "Data-subject request {RequestId} of {OrganizationId}: {Entries} audit entries' personal fields erased ({Held} held)")]
    private static partial void LogErased(ILogger logger, string requestId, string organizationId, long entries, long held);
}
