using Microsoft.Extensions.Options;
using Platform.Keys.Data;

namespace Platform.Keys.Secrets;

/// <summary>
/// Secrets follow the object keys' scheme (issue 16, the transit key lineage): every
/// <see cref="KeySecretsOptions.RewrapInterval"/> of the injected clock, the live secrets' transit versions are reported
/// to storage, which answers each organization's current version; every secret sealed under an older one is rewrapped
/// onto it (the value never leaves storage), and the versions still in use are reported again. A version no live secret
/// is under any more is then destroyed by storage once every backup that could hold a ciphertext under it has expired,
/// so a deleted secret cannot be read from any backup within the bound.
/// </summary>
internal sealed partial class SecretRewrapper(
    SecretStore store, TransitClient transit, TimeProvider time, IOptions<KeySecretsOptions> options, ILogger<SecretRewrapper> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RewrapInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The next tick tries again: an outage of storage or the database must not end rewrapping for good.
                LogFailed(logger, exception.GetType().Name, exception);
            }
        }
    }

    /// <summary>Reports, rewraps what is stale, and reports again when anything moved; returns how many secrets moved.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var current = await transit.ReportSealsAsync(await store.SealedVersionsAsync(cancellationToken), cancellationToken);
        var moved = 0;
        string? after = null;
        while (true)
        {
            var batch = await store.StaleAsync(current, after, BatchSize, cancellationToken);
            foreach (var (organization, name, ciphertext) in batch)
            {
                try
                {
                    var rewrapped = await transit.RewrapAsync(organization, name, ciphertext, cancellationToken);
                    if (await store.ReplaceCiphertextAsync(organization, name, ciphertext, rewrapped, cancellationToken)) moved++;
                }
                catch (Exception exception) when (exception is TransitRefusedException or TransitUnavailableException)
                {
                    // One secret that cannot move (its organization's keys destroyed, its ciphertext altered) must not hold
                    // back the others; it stays reported, so its version stays, and is tried again next time.
                    LogSkipped(logger, organization, name, exception.GetType().Name);
                }
            }

            if (batch.Count < BatchSize) break;
            after = $"{batch[^1].Organization}/{batch[^1].Name}";
        }

        if (moved > 0)
        {
            await transit.ReportSealsAsync(await store.SealedVersionsAsync(cancellationToken), cancellationToken);
            LogRewrapped(logger, moved);
        }

        return moved;
    }

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "Rewrapped {Count} secret(s) onto their organization's current key version")]
    private static partial void LogRewrapped(ILogger logger, int count);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Warning, Message = "Secret {Name} of {OrganizationId} could not be rewrapped ({Reason}); retrying next time")]
    private static partial void LogSkipped(ILogger logger, string organizationId, string name, string reason);

    [LoggerMessage(EventId = 1223, Level = LogLevel.Error, Message = "Rewrapping secrets failed ({ErrorType}); retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, string errorType, Exception exception);
}
