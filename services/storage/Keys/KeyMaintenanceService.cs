using Microsoft.Extensions.Options;

namespace Platform.Storage.Keys;

/// <summary>
/// Rotates organization keys whose period is over (90 days unless the organization says otherwise) and then rewraps
/// object keys onto the newest versions (at least every <see cref="BackupReachOptions.EpochRotation"/>), then destroys
/// retired versions no backup needs any more (<see cref="RetiredKeyVersions"/>), every <see cref="StorageOptions.MaintenanceInterval"/> of the injected clock.
/// </summary>
internal sealed partial class KeyMaintenanceService(
    OrganizationKeyRing ring, DataKeyRewrapper rewrapper, RetiredKeyVersions retired, TimeProvider time, IOptions<StorageOptions> options, ILogger<KeyMaintenanceService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.MaintenanceInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The next tick tries again; a database outage must not end key rotation for good.
                LogFailed(logger, exception.GetType().Name, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        await ring.CountUncountedAsync(null, cancellationToken);
        foreach (var (organization, version) in await ring.DueForRotationAsync(cancellationToken))
        {
            try
            {
                await ring.RotateAsync(organization, "scheduled", version, cancellationToken);
            }
            catch (KeyUnavailableException)
            {
                // Destroyed between the query and the rotation: nothing left to rotate.
                LogSkipped(logger, organization);
            }
        }

        await rewrapper.RewrapAsync(null, cancellationToken);
        await retired.RunAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 5030, Level = LogLevel.Error, Message = "Key maintenance failed ({ErrorType}); retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, string errorType, Exception exception);

    [LoggerMessage(EventId = 5031, Level = LogLevel.Information, Message = "Skipped rotating {OrganizationId}: its keys are no longer available")]
    private static partial void LogSkipped(ILogger logger, string organizationId);
}
