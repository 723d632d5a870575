using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Retention.Backups;

/// <summary>
/// Deletes expired backup sets every <see cref="BackupOptions.ExpiryInterval"/> of the injected clock, each deletion an
/// audit entry (<c>backup.deleted</c>). Once a set is gone, storage may destroy the key versions only it still needed.
/// </summary>
internal sealed partial class BackupExpiryService(
    BackupCatalog catalog, ISecurityAudit audit, TimeProvider time, IOptions<BackupOptions> options, ILogger<BackupExpiryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Enabled) return;
        using var timer = new PeriodicTimer(options.Value.ExpiryInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, exception.GetType().Name, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<IReadOnlyList<string>> RunOnceAsync(CancellationToken cancellationToken)
    {
        var deleted = catalog.DeleteExpired();
        foreach (var id in deleted)
        {
            await audit.RecordAsync(new SecurityAuditEntry("system:retention", BackupAudit.Deleted, null, id, "success", null, null,
                new() { ["reason"] = "expired" }), cancellationToken);
        }

        return deleted;
    }

    [LoggerMessage(EventId = 1704, Level = LogLevel.Error, Message = "Deleting expired backups failed ({ErrorType}); retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, string errorType, Exception exception);
}
