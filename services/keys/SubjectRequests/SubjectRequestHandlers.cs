using System.Text.Json;
using Npgsql;
using Platform.Keys.Events;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Keys.SubjectRequests;

/// <summary>
/// Keys' part of a data-subject access/portability archive (SPEC RET-DSAR): the API keys the person created in this
/// organization (name, prefix, scopes, dates; never the secret or its hash) and the secrets and network policy they last
/// changed (names and dates, never values). Read in the inbox's transaction.
/// </summary>
internal sealed partial class SubjectExportHandler(IOutbox outbox, TimeProvider time, ILogger<SubjectExportHandler> logger) : IIntegrationEventHandler<SubjectExportRequested>
{
    public const string Participant = "keys";

    public async Task HandleAsync(SubjectExportRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        // The second round (uploaders named) is storage's.
        if (request.OrganizationId is not { } organizationId || request.Actors is not null) return;
        var sections = new Dictionary<string, JsonElement>
        {
            ["apiKeys"] = await RowsAsync("""
                SELECT id, name, environment, display_prefix AS "displayPrefix", scopes, allowed_cidrs AS "allowedCidrs", created_at AS "createdAt",
                       expires_at AS "expiresAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt", use_count AS "useCount"
                FROM api_keys WHERE organization_id = $1 AND created_by = $2 ORDER BY created_at, id
                """, organizationId, request.SubjectUserId, context, cancellationToken),
            ["secretsLastChanged"] = await RowsAsync(
                "SELECT name, version, updated_at AS \"updatedAt\" FROM organization_secrets WHERE organization_id = $1 AND updated_by = $2 ORDER BY name",
                organizationId, request.SubjectUserId, context, cancellationToken),
            ["networkPolicyLastChanged"] = await RowsAsync(
                "SELECT updated_at AS \"updatedAt\" FROM organization_network_policies WHERE organization_id = $1 AND updated_by = $2",
                organizationId, request.SubjectUserId, context, cancellationToken),
        };
        await outbox.EnqueueAsync(new SubjectExportAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = Participant, Sections = sections,
        }, context.Transaction, cancellationToken);
        LogExported(logger, request.RequestId, organizationId, sections["apiKeys"].GetArrayLength());
    }

    internal static Task<JsonElement> RowsAsync(string sql, string organizationId, string userId, IntegrationEventContext context, CancellationToken cancellationToken) =>
        context.RowsAsJsonAsync(sql, cancellationToken, organizationId, userId);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Information, Message = "Data-subject request {RequestId} of {OrganizationId}: keys' part answered ({Keys} API keys)")]
    private static partial void LogExported(ILogger logger, string requestId, string organizationId, int keys);
}

/// <summary>
/// Keys' part of an erasure (GDPR Art. 17), in the inbox's transaction: the API keys the person created in this
/// organization are revoked (as when a member is deprovisioned: they no longer belong to it; <c>key.revoked</c> events
/// and audit entries, the gateways told after the commit) and kept for the organization with their author anonymised;
/// so are the secrets and network policy they last changed. A hold on the organization or the person keeps everything.
/// </summary>
internal sealed partial class SubjectErasureHandler(IOutbox outbox, GatewayInvalidations invalidations, TimeProvider time, ILogger<SubjectErasureHandler> logger)
    : IIntegrationEventHandler<SubjectErasureRequested>
{
    public const string Actor = "retention:subject-requests";
    private const string Erased = "erased-subject";

    public async Task HandleAsync(SubjectErasureRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.OrganizationId is not { } organizationId) return;
        var now = time.GetUtcNow();
        var erased = new Dictionary<string, long>();
        var held = new List<ClosureHeldItem>();
        var events = new List<IntegrationEvent>();
        var revoked = new List<string>();
        if (request.Holds.Organization || request.Holds.Users.Contains(request.SubjectUserId))
        {
            await using var count = new NpgsqlCommand("SELECT id FROM api_keys WHERE organization_id = $1 AND created_by = $2 ORDER BY id LIMIT 1000", context.Connection, context.Transaction);
            count.Parameters.Add(new() { Value = organizationId });
            count.Parameters.Add(new() { Value = request.SubjectUserId });
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                held.Add(new ClosureHeldItem("api-key", reader.GetString(0), request.Holds.Organization ? "legal hold on the organization" : "legal hold on the person's data"));
        }
        else
        {
            await using (var revoke = new NpgsqlCommand("""
                UPDATE api_keys SET revoked_at = $3, updated_at = $3 WHERE organization_id = $1 AND created_by = $2 AND revoked_at IS NULL RETURNING id
                """, context.Connection, context.Transaction))
            {
                foreach (var value in new object[] { organizationId, request.SubjectUserId, now }) revoke.Parameters.Add(new() { Value = value });
                await using var reader = await revoke.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) revoked.Add(reader.GetString(0));
            }

            foreach (var id in revoked)
            {
                events.Add(new KeyRevoked { KeyId = id, RevokedAt = now, OrganizationId = organizationId, OccurredAt = now });
                events.Add(new AuditRecorded
                {
                    OccurredAt = now, OrganizationId = organizationId, Actor = Actor, Action = "key.revoked", Target = id, Outcome = "success",
                    Details = new Dictionary<string, string> { ["reason"] = "subject-erasure", ["request"] = request.RequestId },
                });
            }

            erased["apiKeysRevoked"] = revoked.Count;
            erased["apiKeyAuthorsAnonymised"] = await AnonymiseAsync("UPDATE api_keys SET created_by = $3 WHERE organization_id = $1 AND created_by = $2", organizationId, request.SubjectUserId, context, cancellationToken);
            erased["secretAuthorsAnonymised"] = await AnonymiseAsync("UPDATE organization_secrets SET updated_by = $3 WHERE organization_id = $1 AND updated_by = $2", organizationId, request.SubjectUserId, context, cancellationToken);
            erased["networkPolicyAuthorsAnonymised"] = await AnonymiseAsync(
                "UPDATE organization_network_policies SET updated_by = $3 WHERE organization_id = $1 AND updated_by = $2", organizationId, request.SubjectUserId, context, cancellationToken);
        }

        events.Add(new SubjectErasureAnswered
        {
            OrganizationId = organizationId, OccurredAt = now, RequestId = request.RequestId, Participant = SubjectExportHandler.Participant, Erased = erased, Held = held, HeldCount = held.Count,
        });
        await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
        if (revoked.Count > 0) invalidations.KeysRevokedAfterCommit(revoked);
        LogErased(logger, request.RequestId, organizationId, revoked.Count, held.Count);
    }

    private static async Task<long> AnonymiseAsync(string sql, string organizationId, string userId, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, context.Connection, context.Transaction);
        foreach (var value in new object[] { organizationId, userId, Erased }) command.Parameters.Add(new() { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning, Message = "Data-subject request {RequestId} of {OrganizationId}: keys revoked {Revoked} keys, anonymised their author ({Held} held)")]
    private static partial void LogErased(ILogger logger, string requestId, string organizationId, int revoked, int held);
}
