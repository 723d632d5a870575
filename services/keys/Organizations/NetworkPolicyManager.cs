using Platform.Security.Authentication;
using Npgsql;
using Platform.Keys.Data;
using Platform.Keys.Events;
using Platform.Keys.Lifecycle;
using Platform.Messaging;

namespace Platform.Keys.Organizations;

/// <summary>
/// Sets organizations' IP allowlists. The change, its <c>organization.network-policy.changed</c> event and its audit
/// entry commit in one transaction (outbox); after the commit the gateways are told to drop the policy they cached.
/// Setting the ranges an organization already has is no change: nothing is written or announced.
/// </summary>
internal sealed partial class NetworkPolicyManager(
    NpgsqlDataSource dataSource,
    IOutbox outbox,
    GatewayInvalidations invalidations,
    TimeProvider time,
    ILogger<NetworkPolicyManager> logger)
{
    public const string ChangedAction = "organization.network-policy.changed";

    public async Task<NetworkPolicy> SetAsync(string organizationId, IReadOnlyList<string> allowedCidrs, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var current = await NetworkPolicyStore.LockAsync(organizationId, transaction, cancellationToken);
        if (current.HasSameRanges(allowedCidrs)) return current;

        var stored = await NetworkPolicyStore.SaveAsync(new NetworkPolicy(organizationId, allowedCidrs, now, context.Actor), transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                new NetworkPolicyChanged
                {
                    PreviousCount = current.AllowedCidrs.Count, Count = stored.AllowedCidrs.Count, OrganizationId = organizationId, OccurredAt = now,
                },
                Audit(current, stored, context, now),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await invalidations.NetworkPolicyChangedAsync(organizationId);
        LogChanged(logger, organizationId, current.AllowedCidrs.Count, stored.AllowedCidrs.Count, context.Actor);
        return stored;
    }

    private static AuditRecorded Audit(NetworkPolicy previous, NetworkPolicy current, ChangeContext context, DateTimeOffset now) => new()
    {
        OccurredAt = now,
        OrganizationId = current.OrganizationId,
        Actor = context.Actor,
        Action = ChangedAction,
        Target = current.OrganizationId,
        Outcome = "success",
        Ip = context.Ip,
        RequestId = context.RequestId,
        UserAgent = context.UserAgent,
        Details = new Dictionary<string, string>
        {
            ["previousCount"] = previous.AllowedCidrs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["count"] = current.AllowedCidrs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
    };

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Network policy of {OrganizationId} changed from {PreviousCount} to {Count} ranges by {Actor}")]
    private static partial void LogChanged(ILogger logger, string organizationId, int previousCount, int count, string actor);
}
