using Microsoft.Extensions.Options;

namespace Platform.Retention.Backups;

/// <summary>A backup set as listed: its manifest's summary, or why it cannot be read.</summary>
public sealed record BackupSummary(string Id, DateTimeOffset? CreatedAt, DateTimeOffset? ExpiresAt, string? CreatedBy, long Bytes,
    IReadOnlyList<string> Databases, IReadOnlyList<string> BlobRoots, string? Problem);

/// <summary>
/// The backup sets in <see cref="BackupOptions.Folder"/>: listing, verifying (signature, every file's SHA-256 and size,
/// no file missing or added, every payload segment's authentication tag) and deleting the expired.
/// </summary>
internal sealed partial class BackupCatalog(IOptions<BackupOptions> options, BackupKeys keys, TimeProvider time, ILogger<BackupCatalog> logger)
{
    public IReadOnlyList<BackupSummary> List()
    {
        var folder = options.Value.Folder;
        if (!Directory.Exists(folder)) return [];
        var summaries = new List<BackupSummary>();
        foreach (var directory in Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Where(BackupIds.IsWellFormed).Order(StringComparer.Ordinal).Reverse())
        {
            var bytes = Directory.EnumerateFiles(Path.Combine(folder, directory!)).Sum(f => new FileInfo(f).Length);
            try
            {
                var manifest = ReadManifest(directory!);
                summaries.Add(new BackupSummary(manifest.Id, manifest.CreatedAt, manifest.ExpiresAt, manifest.CreatedBy, bytes,
                    manifest.Databases.Select(d => d.Name).ToList(), manifest.BlobRoots.Select(b => b.Name).ToList(), null));
            }
            catch (BackupInvalidException invalid)
            {
                summaries.Add(new BackupSummary(directory!, null, null, null, bytes, [], [], invalid.Message));
            }
        }

        return summaries;
    }

    public bool Exists(string id) => BackupIds.IsWellFormed(id) && Directory.Exists(Path.Combine(options.Value.Folder, id));

    /// <summary>The manifest, if its signature verifies (nothing else checked).</summary>
    public BackupManifest ReadManifest(string id)
    {
        var folder = Path.Combine(options.Value.Folder, id);
        var manifestPath = Path.Combine(folder, BackupManifest.FileName);
        var signaturePath = Path.Combine(folder, BackupManifest.SignatureFileName);
        if (!File.Exists(manifestPath)) throw new BackupInvalidException("manifest.json is missing.");
        if (!File.Exists(signaturePath)) throw new BackupInvalidException("manifest.sig is missing.");
        BackupManifest manifest;
        try
        {
            manifest = keys.Signer.Verify(File.ReadAllBytes(manifestPath), File.ReadAllText(signaturePath));
        }
        catch (System.Text.Json.JsonException)
        {
            throw new BackupInvalidException("manifest.json is not a manifest.");
        }

        if (manifest.Id != id) throw new BackupInvalidException($"The manifest is backup {manifest.Id}'s, not {id}'s: it was moved between sets.");
        return manifest;
    }

    /// <summary>Verifies everything without restoring; throws <see cref="BackupInvalidException"/> naming the first problem.</summary>
    public async Task<BackupManifest> VerifyAsync(string id, CancellationToken cancellationToken)
    {
        var manifest = ReadManifest(id);
        var folder = Path.Combine(options.Value.Folder, id);
        var expected = manifest.Files.Select(f => f.Name).Append(BackupManifest.FileName).Append(BackupManifest.SignatureFileName).ToHashSet(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(folder, file.Name);
            if (!File.Exists(path)) throw new BackupInvalidException($"{file.Name} is missing.");
            if (new FileInfo(path).Length != file.Bytes) throw new BackupInvalidException($"{file.Name} has {new FileInfo(path).Length} bytes; the manifest says {file.Bytes}.");
            if (await BackupWriter.HashAsync(path, cancellationToken) != file.Sha256) throw new BackupInvalidException($"{file.Name}'s SHA-256 differs from the manifest's.");
            await using var stream = File.OpenRead(path);
            var plaintext = await keys.Cipher.DecryptAsync(stream, null, id, file.Name, cancellationToken);
            if (plaintext != file.PlaintextBytes) throw new BackupInvalidException($"{file.Name} decrypts to {plaintext} bytes; the manifest says {file.PlaintextBytes}.");
        }

        foreach (var extra in Directory.EnumerateFiles(folder).Select(Path.GetFileName).Where(name => !expected.Contains(name!)))
        {
            throw new BackupInvalidException($"{extra} is in the set but not in its manifest.");
        }

        return manifest;
    }

    /// <summary>Deletes every set whose manifest says it has expired (by the injected clock).</summary>
    public IReadOnlyList<string> DeleteExpired()
    {
        var folder = options.Value.Folder;
        if (!Directory.Exists(folder)) return [];
        var now = time.GetUtcNow();
        var deleted = new List<string>();
        foreach (var id in Directory.EnumerateDirectories(folder).Select(Path.GetFileName).Where(BackupIds.IsWellFormed))
        {
            DateTimeOffset expiresAt;
            try
            {
                expiresAt = ReadManifest(id!).ExpiresAt;
            }
            catch (BackupInvalidException)
            {
                // An unreadable set cannot prove its age by its manifest: its id's time (when it was taken) decides.
                expiresAt = DateTimeOffset.ParseExact(id![3..19], "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal) + options.Value.Retention;
            }

            if (expiresAt > now) continue;
            Directory.Delete(Path.Combine(folder, id!), recursive: true);
            deleted.Add(id!);
            LogDeleted(logger, id!, expiresAt);
        }

        return deleted;
    }

    [LoggerMessage(EventId = 1702, Level = LogLevel.Information, Message = "Deleted backup {BackupId}: it expired at {ExpiresAt}")]
    private static partial void LogDeleted(ILogger logger, string backupId, DateTimeOffset expiresAt);
}
