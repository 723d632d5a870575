using Npgsql;
using Platform.Messaging;
using Platform.Residency.Data;
using Platform.Residency.Events;
using Platform.Residency.Model;
using Platform.Security.Authentication;

namespace Platform.Residency.Regions;

/// <summary>The outcome of a residency change: the residency now in force, or why nothing changed.</summary>
internal sealed record ResidencyChange(OrganizationResidency? Residency, string? Refusal, Holdings? Holdings)
{
    public const string DataOutsideRegion = "data-outside-region";
    public const string StorageUnavailable = "region-storage-unavailable";
}

/// <summary>
/// Changes an organization's residency (SPEC RES-PIN). Moving to one region is refused while any other region's
/// storage holds a dataset of the organization, or cannot say whether it does: nothing is migrated silently. The
/// change, its event and its audit entry commit in one transaction (outbox), under a lock on the organization's row.
/// </summary>
internal sealed partial class ResidencyManager(
    NpgsqlDataSource dataSource, StorageHoldings holdings, RegionRegistry regions, IOutbox outbox, TimeProvider time, ILogger<ResidencyManager> logger)
{
    public const string ChangedAction = "residency.changed";

    public async Task<ResidencyChange> SetAsync(string organizationId, string mode, string? region, ChangeContext context, CancellationToken cancellationToken)
    {
        if (mode == ResidencyModes.SingleRegion)
        {
            // Asked before the transaction (network calls under a row lock would hold it for seconds); a dataset made
            // in another region meanwhile is refused there by storage once the new residency reaches it.
            var held = await holdings.ListAsync(organizationId, regions.Ids.Where(id => id != region), cancellationToken);
            if (held.Unreachable.Count > 0) return new ResidencyChange(null, ResidencyChange.StorageUnavailable, held);
            if (held.Datasets.Count > 0) return new ResidencyChange(null, ResidencyChange.DataOutsideRegion, held);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await ResidencyStore.LockAsync(organizationId, transaction, cancellationToken);
        if (previous.Mode == mode && previous.Region == region) return new ResidencyChange(previous, null, null);

        var now = time.GetUtcNow();
        var residency = new OrganizationResidency(organizationId, mode, region, now, context.Actor);
        await ResidencyStore.SaveAsync(residency, transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                new ResidencyChanged { OrganizationId = organizationId, OccurredAt = now, Mode = mode, Region = region, PreviousMode = previous.Mode, PreviousRegion = previous.Region },
                new AuditRecorded
                {
                    OccurredAt = now, OrganizationId = organizationId, Actor = context.Actor, Action = ChangedAction, Target = organizationId, Outcome = "success",
                    Ip = context.Ip, RequestId = context.RequestId, UserAgent = context.UserAgent, Region = region,
                    Details = new Dictionary<string, string> { ["mode"] = mode, ["region"] = region ?? "", ["previousMode"] = previous.Mode, ["previousRegion"] = previous.Region ?? "" },
                },
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogChanged(logger, organizationId, previous.Mode, previous.Region, mode, region, context.Actor);
        return new ResidencyChange(residency, null, null);
    }

    [LoggerMessage(EventId = 1812, Level = LogLevel.Information,
        Message = "Residency of {OrganizationId} changed from {PreviousMode} {PreviousRegion} to {Mode} {Region} by {Actor}")]
    private static partial void LogChanged(ILogger logger, string organizationId, string previousMode, string? previousRegion, string mode, string? region, string actor);
}
