using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Retention.Apis;
using Platform.Retention.Closure;
using Platform.Retention.Policies;
using Platform.Retention.Purge;
using Platform.Security.Authentication;

namespace Platform.Retention.Dsar;

/// <summary>Which services answered a request, and the sealed archive opened for its download (audited).</summary>
internal sealed partial class SubjectParts(
    ArchiveSealer sealer, ReceiptSigner signer, IOutbox outbox, IOptions<SubjectRequestOptions> options, IOptions<ClosureOptions> closure, TimeProvider time, ILogger<SubjectParts> logger)
{
    public const string DownloadedAction = "subject-request.archive.downloaded";

    public string VerifierKey => signer.VerifierKey;

    public async Task<IReadOnlyList<SubjectPartResponse>> ListAsync(NpgsqlConnection connection, SubjectRequest request, CancellationToken cancellationToken)
    {
        var answers = await SubjectRequestStore.AnswersAsync(connection, null, request.Id, cancellationToken);
        return options.Value.EffectiveParticipants(closure.Value)
            .Select(p => new SubjectPartResponse(p, answers.FirstOrDefault(a => a.Participant == p)?.AnsweredAt))
            .ToList();
    }

    public async Task<(byte[] Text, string Signature)> OpenArchiveAsync(NpgsqlConnection connection, SubjectRequest request, ChangeContext context, CancellationToken cancellationToken)
    {
        byte[] nonce, sealedBytes;
        string signature;
        await using (var select = new NpgsqlCommand("SELECT nonce, ciphertext, signature FROM subject_archives WHERE request_id = $1", connection))
        {
            select.Parameters.Add(new() { Value = request.Id });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"The completed request {request.Id} has no archive.");
            (nonce, sealedBytes, signature) = (reader.GetFieldValue<byte[]>(0), reader.GetFieldValue<byte[]>(1), reader.GetString(2));
        }

        var text = sealer.Open(nonce, sealedBytes, request.Id, request.OrganizationId);
        if (!ReceiptSigner.Verify(signer.VerifierKey, Encoding.UTF8.GetString(text), signature)) throw new InvalidOperationException($"The archive of {request.Id} does not verify.");
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(PolicyManager.Audit(context, request.OrganizationId, DownloadedAction, request.Id, time.GetUtcNow(),
            new() { ["subject"] = request.SubjectUserId, ["bytes"] = text.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogDownloaded(logger, request.Id, request.OrganizationId, context.Actor);
        return (text, signature);
    }

    [LoggerMessage(EventId = 1681, Level = LogLevel.Information, Message = "The archive of data-subject request {RequestId} of {OrganizationId} downloaded by {Actor}")]
    private static partial void LogDownloaded(ILogger logger, string requestId, string organizationId, string actor);
}
