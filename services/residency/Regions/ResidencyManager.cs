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
/// check cannot be outrun: under a lock on the organization's row, every other region's storage is fenced first
/// (<see cref="StorageFences"/>: it creates no dataset of the organization from then on, and answers once every creation
/// under way has committed), then asked what it holds, then the change commits with its event and audit entry
/// (outbox). A refused or failed change puts back the fences of the residency in force. Gateways are told at once.
/// </summary>
internal sealed partial class ResidencyManager(
    NpgsqlDataSource dataSource, StorageHoldings holdings, StorageFences fences, ResidencyInvalidations invalidations, RegionRegistry regions, IOutbox outbox,
    TimeProvider time, ILogger<ResidencyManager> logger)
{
    public const string ChangedAction = "residency.changed";

    public async Task<ResidencyChange> SetAsync(string organizationId, string mode, string? region, ChangeContext context, CancellationToken cancellationToken)
    {
        // The row lock is held across the fences and the check (seconds at most): it only keeps another change of the
        // same organization out; reads of the residency do not wait for it.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await ResidencyStore.LockAsync(organizationId, transaction, cancellationToken);
        if (previous.Mode == mode && previous.Region == region) return new ResidencyChange(previous, null, null);

        var committed = false;
        try
        {
            var unfenced = await fences.ApplyAsync(organizationId, mode, region, cancellationToken);
            if (unfenced.Count > 0) return new ResidencyChange(null, ResidencyChange.StorageUnavailable, new Holdings([], unfenced));
            if (mode == ResidencyModes.SingleRegion)
            {
                var held = await holdings.ListAsync(organizationId, regions.Ids.Where(id => id != region), cancellationToken);
                if (held.Unreachable.Count > 0) return new ResidencyChange(null, ResidencyChange.StorageUnavailable, held);
                if (held.Datasets.Count > 0) return new ResidencyChange(null, ResidencyChange.DataOutsideRegion, held);
            }

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
            committed = true;
            LogChanged(logger, organizationId, previous.Mode, previous.Region, mode, region, context.Actor);
            await invalidations.ChangedAsync(organizationId);
            return new ResidencyChange(residency, null, null);
        }
        finally
        {
            if (!committed) await fences.ApplyAsync(organizationId, previous.Mode, previous.Region, CancellationToken.None);
        }
    }

    [LoggerMessage(EventId = 1812, Level = LogLevel.Information,
        Message = "Residency of {OrganizationId} changed from {PreviousMode} {PreviousRegion} to {Mode} {Region} by {Actor}")]
    private static partial void LogChanged(ILogger logger, string organizationId, string previousMode, string? previousRegion, string mode, string? region, string actor);
}
