using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Platform.Storage.Model;

namespace Platform.Storage.Blobs;

internal sealed record OrphanSweepResult(int OrphanBlobs, int StaleIncoming);

/// <summary>
/// Removes what a crash leaves in the blob root: blobs without a metadata row (the process died between the blob's
/// rename and the row's commit, or between a row's removal and its blob's) and <c>.incoming/</c> files of uploads that
/// never finished. Only files untouched for <see cref="StorageOptions.OrphanGracePeriod"/> of the injected clock are
/// candidates, never one this process is still uploading (<see cref="UploadsInFlight"/>, open <c>.incoming/</c>
/// files), and a blob goes only when the database has no row for it. Runs every
/// <see cref="StorageOptions.OrphanSweepInterval"/>. Such a blob is unreadable anyway: its data key was never stored.
/// </summary>
internal sealed partial class OrphanSweeper(
    FileSystemBlobStore blobs,
    UploadsInFlight uploads,
    NpgsqlDataSource dataSource,
    TimeProvider time,
    IOptions<StorageOptions> options,
    ILogger<OrphanSweeper> logger) : BackgroundService
{
    private const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.OrphanSweepInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The next tick tries again: a database outage must not end sweeping for good.
                LogFailed(logger, exception.GetType().Name, exception);
            }
        }
    }

    public async Task<OrphanSweepResult> SweepAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.OrphanGracePeriod;
        var incoming = SweepIncoming(cutoff);

        var orphans = 0;
        var batch = new List<(string Key, string Path)>(BatchSize);
        foreach (var candidate in Candidates(cutoff))
        {
            batch.Add(candidate);
            if (batch.Count < BatchSize) continue;
            orphans += await RemoveUnrecordedAsync(batch, cutoff, cancellationToken);
            batch.Clear();
        }

        if (batch.Count > 0) orphans += await RemoveUnrecordedAsync(batch, cutoff, cancellationToken);
        if (orphans + incoming > 0) LogSwept(logger, orphans, incoming);
        return new OrphanSweepResult(orphans, incoming);
    }

    private int SweepIncoming(DateTimeOffset cutoff)
    {
        var removed = 0;
        foreach (var file in Files(blobs.Incoming))
        {
            if (blobs.IsBeingWritten(file) || !WrittenBefore(file, cutoff)) continue;
            if (TryDelete(file)) removed++;
        }

        return removed;
    }

    /// <summary>Blob files old enough to be orphans and not being uploaded here, by key; the database decides.</summary>
    private IEnumerable<(string Key, string Path)> Candidates(DateTimeOffset cutoff)
    {
        foreach (var organization in Directories(blobs.Root))
        {
            // .incoming/ and anything else this service did not make are never blobs.
            if (!OrganizationIds.IsWellFormed(Path.GetFileName(organization))) continue;
            foreach (var dataset in Directories(organization))
            {
                foreach (var file in Files(dataset))
                {
                    var key = $"{Path.GetFileName(organization)}/{Path.GetFileName(dataset)}/{Path.GetFileName(file)}";
                    if (!BlobKeys.IsWellFormed(key) || uploads.Contains(key) || !WrittenBefore(file, cutoff)) continue;
                    yield return (key, file);
                }
            }
        }
    }

    private async Task<int> RemoveUnrecordedAsync(List<(string Key, string Path)> candidates, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("SELECT blob_key FROM objects WHERE id = ANY($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter
            {
                Value = candidates.Select(c => c.Key[(c.Key.LastIndexOf('/') + 1)..]).ToArray(),
                NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
            });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) recorded.Add(reader.GetString(0));
        }

        var removed = 0;
        foreach (var (key, path) in candidates)
        {
            // Checked again just before: an upload of this key may have begun since the walk (it never does: ids are new).
            if (recorded.Contains(key) || uploads.Contains(key) || !WrittenBefore(path, cutoff)) continue;
            if (!TryDelete(path)) continue;
            removed++;
            LogRemoved(logger, key);
        }

        return removed;
    }

    private static bool WrittenBefore(string path, DateTimeOffset cutoff)
    {
        var file = new FileInfo(path);
        return file.Exists && new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero) <= cutoff;
    }

    private bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            LogNotRemoved(logger, Path.GetFileName(path), exception.GetType().Name);
            return false;
        }
    }

    // A directory removed while the sweep walks it (a dataset deleted) has nothing left to sweep.
    private static string[] Directories(string path)
    {
        try
        {
            return Directory.GetDirectories(path);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    private static string[] Files(string path)
    {
        try
        {
            return Directory.GetFiles(path);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    [LoggerMessage(EventId = 5040, Level = LogLevel.Information, Message = "Orphan sweep removed {OrphanBlobs} blobs without metadata and {StaleIncoming} stale incoming files")]
    private static partial void LogSwept(ILogger logger, int orphanBlobs, int staleIncoming);

    [LoggerMessage(EventId = 5041, Level = LogLevel.Information, Message = "Removed orphan blob {BlobKey}: no metadata row")]
    private static partial void LogRemoved(ILogger logger, string blobKey);

    [LoggerMessage(EventId = 5042, Level = LogLevel.Warning, Message = "Orphan sweep could not remove {File} ({ErrorType}); the next sweep tries again")]
    private static partial void LogNotRemoved(ILogger logger, string file, string errorType);

    [LoggerMessage(EventId = 5043, Level = LogLevel.Error, Message = "Orphan sweep failed ({ErrorType}); retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, string errorType, Exception exception);
}
