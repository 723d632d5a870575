using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Keys.Events;

/// <summary>
/// A member deprovisioned by identity (SCIM, issue 18 item 6) loses the API keys they created in that organization:
/// each is revoked in the inbox's transaction with its <c>key.revoked</c> event and audit entry (actor
/// <c>identity:deprovisioning</c>, the user and the reason in the details). The gateways are told once the revocation
/// is committed (<see cref="GatewayInvalidations.KeysRevokedAfterCommit"/>).
/// </summary>
internal sealed partial class MemberDeprovisionedHandler(IOutbox outbox, GatewayInvalidations invalidations, TimeProvider time, ILogger<MemberDeprovisionedHandler> logger)
    : IIntegrationEventHandler<MemberDeprovisioned>
{
    public async Task HandleAsync(MemberDeprovisioned @event, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (@event.OrganizationId is not { Length: > 0 } organizationId) return;
        var now = time.GetUtcNow();
        var revoked = new List<(string Id, string Prefix, string Environment)>();
        await using (var command = new NpgsqlCommand(
            """
            UPDATE api_keys SET revoked_at = $3, updated_at = $3
             WHERE organization_id = $1 AND created_by = $2 AND revoked_at IS NULL
            RETURNING id, display_prefix, environment
            """, context.Connection, context.Transaction))
        {
            command.Parameters.AddWithValue(organizationId);
            command.Parameters.AddWithValue(@event.UserId);
            command.Parameters.AddWithValue(now);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) revoked.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        if (revoked.Count == 0) return;
        var events = new List<IntegrationEvent>();
        foreach (var (id, prefix, environment) in revoked)
        {
            events.Add(new KeyRevoked { KeyId = id, RevokedAt = now, OrganizationId = organizationId, OccurredAt = now });
            events.Add(new AuditRecorded
            {
                OccurredAt = now,
                OrganizationId = organizationId,
                Actor = "identity:deprovisioning",
                Action = "key.revoked",
                Target = id,
                Outcome = "success",
                Details = new Dictionary<string, string>
                {
                    ["displayPrefix"] = prefix,
                    ["environment"] = environment,
                    ["reason"] = @event.Reason,
                    ["user"] = @event.UserId,
                },
            });
        }

        await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
        invalidations.KeysRevokedAfterCommit(revoked.Select(k => k.Id).ToList());
        LogRevoked(logger, revoked.Count, @event.UserId, organizationId, @event.Reason);
    }

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Revoked {Count} keys created by {UserId} in {OrganizationId}: member deprovisioned ({Reason})")]
    private static partial void LogRevoked(ILogger logger, int count, string userId, string organizationId, string reason);
}
