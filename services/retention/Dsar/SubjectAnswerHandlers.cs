using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Closure;
using Platform.Retention.Events;
using Platform.Retention.Purge;

namespace Platform.Retention.Dsar;

/// <summary>
/// A service's part of an access/portability archive, applied once (inbox): stored (the first answer of each
/// participant counts); once every participant has answered, retention adds its own part, signs the archive, seals it
/// (<see cref="ArchiveSealer"/>), and the request is <c>completed</c>. An answer from a service that is not a
/// participant, or for another organization's request, changes nothing.
/// </summary>
internal sealed partial class SubjectExportAnsweredHandler(SubjectCompletion completion, ILogger<SubjectExportAnsweredHandler> logger) : IIntegrationEventHandler<SubjectExportAnswered>
{
    public Task HandleAsync(SubjectExportAnswered answered, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (answered.OrganizationId is not { } organizationId) return Task.CompletedTask;
        LogAnswered(logger, answered.Participant, answered.RequestId);
        var answer = JsonSerializer.Serialize(new ExportPart(answered.Sections, answered.Truncated), JsonSerializerOptions.Web);
        return completion.AnswerAsync(organizationId, answered.RequestId, answered.Participant, answer, answered.OccurredAt, context, cancellationToken);
    }

    [LoggerMessage(EventId = 1677, Level = LogLevel.Information, Message = "{Participant} answered its part of data-subject request {RequestId}")]
    private static partial void LogAnswered(ILogger logger, string participant, string requestId);
}

/// <summary>A service's answer to an erasure, applied once; the last one completes the request with a signed receipt.</summary>
internal sealed partial class SubjectErasureAnsweredHandler(SubjectCompletion completion, ILogger<SubjectErasureAnsweredHandler> logger) : IIntegrationEventHandler<SubjectErasureAnswered>
{
    public Task HandleAsync(SubjectErasureAnswered answered, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (answered.OrganizationId is not { } organizationId) return Task.CompletedTask;
        LogAnswered(logger, answered.Participant, answered.RequestId, answered.HeldCount);
        var answer = JsonSerializer.Serialize(
            new SubjectErasurePart(answered.Participant, answered.Erased, answered.Held.Take(SubjectCompletion.MaxListedHeld).ToList(), answered.HeldCount, answered.Kept), JsonSerializerOptions.Web);
        return completion.AnswerAsync(organizationId, answered.RequestId, answered.Participant, answer, answered.OccurredAt, context, cancellationToken);
    }

    [LoggerMessage(EventId = 1678, Level = LogLevel.Information, Message = "{Participant} erased its part of data-subject request {RequestId} ({Held} items held)")]
    private static partial void LogAnswered(ILogger logger, string participant, string requestId, long held);
}

internal sealed record ExportPart(IReadOnlyDictionary<string, JsonElement> Sections, IReadOnlyDictionary<string, long> Truncated);

/// <summary>Stores answers and completes a request once every participant has answered (in the inbox's transaction).</summary>
internal sealed partial class SubjectCompletion(
    ReceiptSigner signer, ArchiveSealer sealer, IOutbox outbox, IOptions<SubjectRequestOptions> options, IOptions<ClosureOptions> closure, TimeProvider time,
    ILogger<SubjectCompletion> logger)
{
    public const string Actor = "retention:subject-requests";
    public const string CompletedAction = "subject-request.completed";
    public const int MaxListedHeld = 1000;

    public async Task AnswerAsync(string organizationId, string requestId, string participant, string answer, DateTimeOffset answeredAt, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var participants = options.Value.EffectiveParticipants(closure.Value);
        if (!participants.Contains(participant, StringComparer.Ordinal))
        {
            LogStranger(logger, participant, requestId);
            return;
        }

        if (await SubjectRequestStore.LockOpenAsync(context.Connection, context.Transaction, organizationId, requestId, cancellationToken) is not { } request) return;
        if (!await SubjectRequestStore.TryAddAnswerAsync(context.Connection, context.Transaction, requestId, participant, answer, answeredAt, cancellationToken)) return;
        if (request.IsExport && participant == SubjectAsks.KeysParticipant)
            await outbox.EnqueueAsync(SubjectAsks.UploadersAsk(request, answer, time.GetUtcNow()), context.Transaction, cancellationToken);
        var answers = await SubjectRequestStore.AnswersAsync(context.Connection, context.Transaction, requestId, cancellationToken);
        if (!participants.All(p => answers.Any(a => a.Participant == p))) return;

        var now = time.GetUtcNow();
        var details = new Dictionary<string, string> { ["type"] = request.Type, ["subject"] = request.SubjectUserId, ["services"] = string.Join(',', answers.Select(a => a.Participant)) };
        string? receipt = null, signature = null;
        if (request.IsExport)
        {
            var (sha256, bytes, archiveSignature) = await StoreArchiveAsync(request, answers, now, context, cancellationToken);
            details["archiveSha256"] = sha256;
            details["archiveBytes"] = bytes.ToString(CultureInfo.InvariantCulture);
            details["archiveSignature"] = archiveSignature;
        }
        else
        {
            (receipt, signature) = await EraseAndSignAsync(request, answers, now, context, cancellationToken);
            details["receiptSignature"] = signature;
        }

        await SubjectRequestStore.CompleteAsync(context.Connection, context.Transaction, requestId, now, receipt, signature, cancellationToken);
        await outbox.EnqueueAsync(new AuditRecorded
        {
            OccurredAt = now, OrganizationId = organizationId, Actor = Actor, Action = CompletedAction, Target = requestId, Outcome = "success", Details = details,
        }, context.Transaction, cancellationToken);
        LogCompleted(logger, requestId, request.Type, organizationId, answers.Count);
    }

    private async Task<(string Sha256, long Bytes, string Signature)> StoreArchiveAsync(
        SubjectRequest request, List<SubjectAnswer> answers, DateTimeOffset now, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var services = new SortedDictionary<string, IReadOnlyDictionary<string, JsonElement>>(StringComparer.Ordinal);
        var truncated = new SortedDictionary<string, IReadOnlyDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var answer in answers)
        {
            var part = JsonSerializer.Deserialize<ExportPart>(answer.Answer, JsonSerializerOptions.Web)!;
            services[answer.Participant] = part.Sections;
            if (part.Truncated.Count > 0) truncated[answer.Participant] = part.Truncated;
        }

        services["retention"] = await RetentionPartAsync(request, context, cancellationToken);
        var archive = new SubjectArchive(1, request.Id, request.OrganizationId, request.Type, request.SubjectUserId, request.SubjectEmail, request.ReceivedAt, now,
            request.IncludeObjects, services, truncated);
        var (text, signature) = signer.SignRecord(archive);
        var plaintext = Encoding.UTF8.GetBytes(text);
        var (nonce, sealedBytes) = sealer.Seal(plaintext, request.Id, request.OrganizationId);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(plaintext));
        await using var insert = new NpgsqlCommand("""
            INSERT INTO subject_archives (request_id, nonce, ciphertext, sha256, signature, bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, context.Connection, context.Transaction);
        foreach (var value in new object[] { request.Id, nonce, sealedBytes, sha256, signature, (long)plaintext.Length, now }) insert.Parameters.Add(new() { Value = value });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return (sha256, plaintext.Length, signature);
    }

    // Retention's own part: the person's requests (this one included) and the legal holds on their data.
    private static async Task<IReadOnlyDictionary<string, JsonElement>> RetentionPartAsync(SubjectRequest request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var requests = new List<object>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, type, status, received_at, due_at FROM subject_requests WHERE organization_id = $1 AND subject_user_id = $2 ORDER BY received_at, id
            """, context.Connection, context.Transaction))
        {
            select.Parameters.Add(new() { Value = request.OrganizationId });
            select.Parameters.Add(new() { Value = request.SubjectUserId });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                requests.Add(new { id = reader.GetString(0), type = reader.GetString(1), status = reader.GetString(2), receivedAt = reader.GetFieldValue<DateTimeOffset>(3), dueAt = reader.GetFieldValue<DateTimeOffset>(4) });
        }

        var holds = new List<object>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, reason, placed_at, released_at FROM legal_holds WHERE organization_id = $1 AND scope = 'user' AND target = $2 ORDER BY placed_at, id
            """, context.Connection, context.Transaction))
        {
            select.Parameters.Add(new() { Value = request.OrganizationId });
            select.Parameters.Add(new() { Value = request.SubjectUserId });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                holds.Add(new { id = reader.GetString(0), reason = reader.GetString(1), placedAt = reader.GetFieldValue<DateTimeOffset>(2), releasedAt = reader.IsDBNull(3) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(3) });
        }

        return new Dictionary<string, JsonElement>
        {
            ["subjectRequests"] = JsonSerializer.SerializeToElement(requests, JsonSerializerOptions.Web),
            ["legalHolds"] = JsonSerializer.SerializeToElement(holds, JsonSerializerOptions.Web),
        };
    }

    // Retention's own part of an erasure: the uploader of the objects it tracks, unless a hold covers them; the register
    // of requests is kept (accountability, GDPR Art. 5(2)): it says the request was answered.
    private async Task<(string Receipt, string Signature)> EraseAndSignAsync(
        SubjectRequest request, List<SubjectAnswer> answers, DateTimeOffset now, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var holds = await HoldsAsync(request.Id, context, cancellationToken);
        long tracked = 0;
        if (!holds.Organization && holds.Users.Count == 0)
        {
            await using var update = new NpgsqlCommand("""
                UPDATE tracked_objects SET stored_by = 'erased-subject' WHERE organization_id = $1 AND stored_by = $2
                   AND dataset_id <> ALL($3) AND data_class <> ALL($4)
                """, context.Connection, context.Transaction);
            foreach (var value in new object[] { request.OrganizationId, request.SubjectUserId, holds.Datasets.ToArray(), holds.DataClasses.ToArray() }) update.Parameters.Add(new() { Value = value });
            tracked = await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var parts = new List<SubjectErasurePart>
        {
            new("retention", new Dictionary<string, long> { ["trackedObjectsAnonymised"] = tracked },
                holds.Organization || holds.Users.Count > 0 ? [new ClosureHeldItem("tracked-objects", request.SubjectUserId, "legal hold: the uploader of tracked objects kept")] : [],
                holds.Organization || holds.Users.Count > 0 ? 1 : 0,
                [new ClosureHeldItem("subject-request", request.Id, "the register of data-subject requests is kept to show the request was answered (GDPR Art. 5(2))")]),
        };
        parts.AddRange(answers.Select(a => JsonSerializer.Deserialize<SubjectErasurePart>(a.Answer, JsonSerializerOptions.Web)!));
        var receipt = new SubjectErasureReceipt(1, request.Id, request.OrganizationId, request.SubjectUserId, request.ReceivedAt, now, holds, parts);
        return signer.SignRecord(receipt);
    }

    private static async Task<ClosureHolds> HoldsAsync(string requestId, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand("SELECT holds::text FROM subject_requests WHERE id = $1", context.Connection, context.Transaction);
        select.Parameters.Add(new() { Value = requestId });
        return SubjectAsks.Deserialize(await select.ExecuteScalarAsync(cancellationToken) as string) ?? ClosureHolds.None;
    }

    [LoggerMessage(EventId = 1679, Level = LogLevel.Warning, Message = "An answer from {Participant}, which is not a participant, was ignored (data-subject request {RequestId})")]
    private static partial void LogStranger(ILogger logger, string participant, string requestId);

    [LoggerMessage(EventId = 1680, Level = LogLevel.Warning, Message = "Data-subject request {RequestId} ({Type}) of {OrganizationId} completed: {Services} services answered")]
    private static partial void LogCompleted(ILogger logger, string requestId, string type, string organizationId, int services);
}
