using Npgsql;
using Platform.Keys.Events;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Keys.Closure;

/// <summary>
/// Deletes a closed organization's API keys, secrets and network policy once its grace period is over (SPEC RET-CLOSE),
/// in the inbox's transaction, and answers <c>organization.closure-answered</c> with the counts. Legal holds cover
/// stored data, not credentials: only an organization hold keeps them (then nothing is deleted). The secrets'
/// ciphertexts are also unreadable from storage's crypto-shred of the organization key. The gateways drop the keys
/// once the deletion is committed. Safe to run again.
/// </summary>
internal sealed partial class ClosureDueHandler(GatewayInvalidations invalidations, IOutbox outbox, TimeProvider time, ILogger<ClosureDueHandler> logger)
    : IIntegrationEventHandler<ClosureDue>
{
    public const string Participant = "keys";

    public async Task HandleAsync(ClosureDue due, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (due.OrganizationId is not { } organizationId) return;
        await using (var mark = new NpgsqlCommand("""
            INSERT INTO closing_organizations (organization_id, closure_id, status, grace_ends_at, recorded_at) VALUES ($1, $2, 'closed', $3, $3)
            ON CONFLICT (organization_id) DO UPDATE SET closure_id = EXCLUDED.closure_id, status = 'closed'
            """, context.Connection, context.Transaction))
        {
            foreach (var value in new object[] { organizationId, due.ClosureId, due.OccurredAt }) mark.Parameters.Add(new() { Value = value });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        var deleted = new Dictionary<string, long>();
        var held = new List<ClosureHeldItem>();
        var keyIds = new List<string>();
        if (due.Holds.Organization)
        {
            held.Add(new ClosureHeldItem("organization", organizationId, "legal hold on the organization: keys, secrets and network policy kept"));
        }
        else
        {
            await using (var keys = new NpgsqlCommand("DELETE FROM api_keys WHERE organization_id = $1 RETURNING id", context.Connection, context.Transaction))
            {
                keys.Parameters.Add(new() { Value = organizationId });
                await using var reader = await keys.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) keyIds.Add(reader.GetString(0));
            }

            deleted["apiKeys"] = keyIds.Count;
            deleted["secrets"] = await DeleteAsync("DELETE FROM organization_secrets WHERE organization_id = $1", organizationId, context, cancellationToken);
            deleted["networkPolicies"] = await DeleteAsync("DELETE FROM organization_network_policies WHERE organization_id = $1", organizationId, context, cancellationToken);
        }

        await outbox.EnqueueAsync(new ClosureAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), ClosureId = due.ClosureId, Participant = Participant, Deleted = deleted, Held = held,
        }, context.Transaction, cancellationToken);
        if (keyIds.Count > 0) invalidations.KeysDeletedAfterCommit(keyIds, organizationId);
        LogDeleted(logger, due.ClosureId, organizationId, keyIds.Count, held.Count > 0);
    }

    private static async Task<long> DeleteAsync(string sql, string organizationId, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, context.Connection, context.Transaction);
        command.Parameters.Add(new() { Value = organizationId });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Closure {ClosureId} of {OrganizationId}: {Keys} API keys, the secrets and the network policy deleted (organization held: {Held})")]
    private static partial void LogDeleted(ILogger logger, string closureId, string organizationId, int keys, bool held);
}
