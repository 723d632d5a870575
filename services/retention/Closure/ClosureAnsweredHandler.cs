using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Events;
using Platform.Retention.Purge;

namespace Platform.Retention.Closure;

/// <summary>
/// A service's answer to <c>organization.closure-due</c>, applied once (inbox): stored (the first answer of each
/// participant counts; a repeated ask is answered with what is left, usually nothing), a storage's answer also ends
/// tracking of the organization's objects that no hold covers, and once every participant of
/// <see cref="ClosureOptions.EffectiveParticipants"/> has answered, the one final receipt is signed and stored, the
/// closure is <c>closed</c>, and <c>organization.closed</c> goes to the audit log with the receipt's signature. An answer
/// for a closure of another organization, or from a service that is not a participant, changes nothing.
/// </summary>
internal sealed partial class ClosureAnsweredHandler(ReceiptSigner signer, IOutbox outbox, IOptions<ClosureOptions> options, TimeProvider time, ILogger<ClosureAnsweredHandler> logger)
    : IIntegrationEventHandler<ClosureAnswered>
{
    public const string ClosedAction = "organization.closed";

    public async Task HandleAsync(ClosureAnswered answered, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (answered.OrganizationId is not { } organizationId) return;
        var participants = options.Value.EffectiveParticipants;
        if (!participants.Contains(answered.Participant, StringComparer.Ordinal))
        {
            LogStranger(logger, answered.Participant, answered.ClosureId);
            return;
        }

        var closure = await ClosureStore.LockAsync(context.Connection, context.Transaction, answered.ClosureId, organizationId, cancellationToken);
        if (closure is not { Status: ClosureStatuses.Deleting }) return;
        var now = time.GetUtcNow();
        var answer = new ClosureServiceReceipt(answered.Participant, answered.Deleted, answered.Held, answered.DestroyedKey);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO closure_answers (closure_id, participant, answer, answered_at) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING
            """, context.Connection, context.Transaction))
        {
            foreach (var value in new object[] { closure.Id, answered.Participant, JsonSerializer.Serialize(answer, JsonSerializerOptions.Web), answered.OccurredAt })
                insert.Parameters.Add(new() { Value = value });
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0) return;
        }

        var (holds, retentionDeleted) = await ClosureStateAsync(closure.Id, context, cancellationToken);
        if (answered.Participant.StartsWith("storage", StringComparison.Ordinal)) await ForgetObjectsAsync(organizationId, holds, now, context, cancellationToken);

        var answers = await ClosureStore.AnswersAsync(context.Connection, context.Transaction, closure.Id, cancellationToken);
        if (!participants.All(p => answers.Any(a => a.Participant == p))) return;

        var services = new List<ClosureServiceReceipt>
        {
            new("retention", retentionDeleted, holds.Organization || holds.Any ? [new ClosureHeldItem("legal-hold", "*", "active legal holds are kept with the items they cover")] : [], null),
        };
        services.AddRange(answers.Select(a => JsonSerializer.Deserialize<ClosureServiceReceipt>(a.Answer, JsonSerializerOptions.Web)!).OrderBy(a => a.Participant, StringComparer.Ordinal));
        var receipt = new ClosureReceipt(1, closure.Id, organizationId, closure.RequestedAt, closure.RequestedBy, closure.GraceEndsAt, closure.DeletingSince!.Value, now, holds, services,
        [
            new KeptRecords(DataClasses.BillingRecord, "billing", now.AddDays(options.Value.BillingRecordsKeptDays), "legal period after closure"),
            new KeptRecords(DataClasses.AuditLog, "audit", null, "the audit log is kept for its own retention period (SPEC AUD-RETAIN); personal fields are erasable without breaking its chain"),
        ]);
        var (text, signature) = signer.SignRecord(receipt);
        await using (var close = new NpgsqlCommand(
            "UPDATE organization_closures SET status = 'closed', closed_at = $2, receipt = $3, signature = $4 WHERE id = $1", context.Connection, context.Transaction))
        {
            foreach (var value in new object[] { closure.Id, now, text, signature }) close.Parameters.Add(new() { Value = value });
            await close.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(new AuditRecorded
        {
            OccurredAt = now, OrganizationId = organizationId, Actor = ClosurePass.Actor, Action = ClosedAction, Target = closure.Id, Outcome = "success",
            Details = new Dictionary<string, string>
            {
                ["services"] = string.Join(',', services.Select(s => s.Participant)),
                ["objectsDeleted"] = services.Sum(s => s.Deleted.GetValueOrDefault("objects")).ToString(CultureInfo.InvariantCulture),
                ["heldItems"] = services.Sum(s => s.Held.Count).ToString(CultureInfo.InvariantCulture),
                ["receiptSignature"] = signature,
            },
        }, context.Transaction, cancellationToken);
        LogClosed(logger, closure.Id, organizationId, services.Count);
    }

    private static async Task<(ClosureHolds Holds, Dictionary<string, long> RetentionDeleted)> ClosureStateAsync(string closureId, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT holds::text, retention_deleted::text FROM organization_closures WHERE id = $1", context.Connection, context.Transaction);
        command.Parameters.Add(new() { Value = closureId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (JsonSerializer.Deserialize<ClosureHolds>(reader.GetString(0), JsonSerializerOptions.Web) ?? ClosureHolds.None,
            JsonSerializer.Deserialize<Dictionary<string, long>>(reader.GetString(1), JsonSerializerOptions.Web) ?? []);
    }

    // Storage deleted every object no hold covers: the purge scheduler has nothing left to look for there.
    private static async Task ForgetObjectsAsync(string organizationId, ClosureHolds holds, DateTimeOffset now, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (holds.Organization) return;
        await using var command = new NpgsqlCommand("""
            UPDATE tracked_objects SET gone_at = $2 WHERE organization_id = $1 AND gone_at IS NULL
               AND dataset_id <> ALL($3) AND data_class <> ALL($4) AND stored_by <> ALL($5)
            """, context.Connection, context.Transaction);
        foreach (var value in new object[] { organizationId, now, holds.Datasets.ToArray(), holds.DataClasses.ToArray(), holds.Users.ToArray() }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 1656, Level = LogLevel.Warning, Message = "A closure answer from {Participant}, which is not a participant, was ignored (closure {ClosureId})")]
    private static partial void LogStranger(ILogger logger, string participant, string closureId);

    [LoggerMessage(EventId = 1657, Level = LogLevel.Warning, Message = "Closure {ClosureId}: {OrganizationId} is closed; {Services} services answered and the final receipt is signed")]
    private static partial void LogClosed(ILogger logger, string closureId, string organizationId, int services);
}
