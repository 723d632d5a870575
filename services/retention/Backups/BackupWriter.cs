using System.Formats.Tar;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging.Contracts;
using Platform.Retention.Policies;

namespace Platform.Retention.Backups;

/// <summary>
/// Takes one backup set: each configured database with pg_dump (custom format, streamed straight into the cipher: no
/// plaintext file), from a snapshot exported by a repeatable-read transaction in which the organization key versions
/// wrapping its object data keys are read too; then each blob root as a tar (in-flight <c>.incoming</c> uploads left
/// out; of a storage database's blob root only the blobs of objects its dump holds, and never those of images under a
/// zero-retention policy). Storage's <c>organization_key_versions</c> rows are never in a backup (their data is excluded): the wrapped
/// organization keys live on only in the live database, so destroying a version there reaches every backup. The set is
/// written to <c>.incoming-&lt;id&gt;</c> and renamed into place once its signed manifest is written.
/// </summary>
internal sealed partial class BackupWriter(IOptions<BackupOptions> options, BackupKeys keys, PolicyManager policies, TimeProvider time, ILogger<BackupWriter> logger)
{
    /// <summary>Storage's table of wrapped organization keys: schema only in a backup, never its rows.</summary>
    public const string KeyVersionsTable = "organization_key_versions";

    public async Task<BackupManifest> CreateAsync(string actor, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var id = BackupIds.New(now);
        Directory.CreateDirectory(settings.Folder);
        var incoming = Path.Combine(settings.Folder, $".incoming-{id}");
        Directory.CreateDirectory(incoming);
        try
        {
            var databases = new List<BackupDatabaseEntry>();
            var snapshots = new Dictionary<string, ObjectSnapshot>();
            foreach (var database in settings.Databases)
            {
                var (entry, objects) = await DumpAsync(database, incoming, id, cancellationToken);
                databases.Add(entry);
                if (objects is not null) snapshots[database.Name] = objects;
            }

            var roots = new List<BackupBlobRootEntry>();
            foreach (var root in settings.BlobRoots)
            {
                roots.Add(await ArchiveAsync(root, root.Database is { } name ? snapshots.GetValueOrDefault(name) : null, incoming, id, cancellationToken));
            }

            var manifest = new BackupManifest(1, id, now, now + settings.Retention, actor, settings.DeletionBound, databases, roots);
            var (text, signature) = keys.Signer.Sign(manifest);
            await File.WriteAllBytesAsync(Path.Combine(incoming, BackupManifest.FileName), text, cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(incoming, BackupManifest.SignatureFileName), signature + "\n", cancellationToken);
            Directory.Move(incoming, Path.Combine(settings.Folder, id));
            LogCreated(logger, id, databases.Count, roots.Count);
            return manifest;
        }
        catch
        {
            Directory.Delete(incoming, recursive: true);
            throw;
        }
    }

    private async Task<(BackupDatabaseEntry Entry, ObjectSnapshot? Objects)> DumpAsync(BackupDatabase database, string folder, string id, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        string snapshot;
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection, transaction))
        {
            snapshot = (string)(await export.ExecuteScalarAsync(cancellationToken))!;
        }

        var versions = await KeyVersionsAsync(connection, transaction, cancellationToken);
        var objects = await ObjectsAsync(connection, transaction, cancellationToken);
        var fileName = $"db-{database.Name}.dump.enc";
        var path = Path.Combine(folder, fileName);
        long plaintextBytes = 0;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await PostgresTools.RunAsync(PostgresTools.Find("pg_dump", options.Value.PostgresBinDirectory), database.ConnectionString,
                ["--format=custom", "--no-owner", "--no-privileges", $"--snapshot={snapshot}", $"--exclude-table-data={KeyVersionsTable}"], cancellationToken,
                readOutput: async dump => plaintextBytes = await keys.Cipher.EncryptAsync(dump, file, id, fileName, cancellationToken));
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }

        await transaction.CommitAsync(cancellationToken);
        return (new BackupDatabaseEntry(database.Name, await DescribeAsync(path, fileName, plaintextBytes, cancellationToken), versions,
            objects is null ? null : [.. objects.ZeroRetention.Order(StringComparer.Ordinal)]), objects);
    }

    /// <summary>A storage database's objects in the dump's snapshot: every id, and the images under a zero-retention policy.</summary>
    private sealed record ObjectSnapshot(HashSet<string> Ids, HashSet<string> ZeroRetention);

    /// <summary>
    /// In the dump's snapshot: the objects (null when the database has none: not storage's), and which are images of an
    /// organization whose image policy in force is zero retention (retention's own policies, read now).
    /// </summary>
    private async Task<ObjectSnapshot?> ObjectsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('public.objects') IS NOT NULL", connection, transaction))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true) return null;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        var images = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand("SELECT id, organization_id, data_class FROM objects", connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
                if (reader.GetString(2) != DataClasses.Image) continue;
                if (!images.TryGetValue(reader.GetString(1), out var list)) images[reader.GetString(1)] = list = [];
                list.Add(reader.GetString(0));
            }
        }

        var zero = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (organizationId, list) in images)
        {
            var (_, effective) = await policies.GetAsync(organizationId, cancellationToken);
            if (effective.FirstOrDefault(p => p.Rule.DataClass == DataClasses.Image) is not { Days: > 0 }) zero.UnionWith(list);
        }

        return new ObjectSnapshot(ids, zero);
    }

    /// <summary>Per organization, the key versions its object data keys are wrapped by (storage databases; none elsewhere).</summary>
    private static async Task<IReadOnlyDictionary<string, IReadOnlyList<int>>> KeyVersionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var versions = new SortedDictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        await using (var exists = new NpgsqlCommand(
            "SELECT to_regclass('public.objects') IS NOT NULL AND to_regclass('public.organization_key_versions') IS NOT NULL", connection, transaction))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true) return versions;
        }

        await using var command = new NpgsqlCommand(
            "SELECT organization_id, array_agg(DISTINCT key_version ORDER BY key_version) FROM objects GROUP BY organization_id", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) versions[reader.GetString(0)] = reader.GetFieldValue<int[]>(1);
        return versions;
    }

    private async Task<BackupBlobRootEntry> ArchiveAsync(BackupBlobRoot root, ObjectSnapshot? objects, string folder, string id, CancellationToken cancellationToken)
    {
        var fileName = $"blobs-{root.Name}.tar.enc";
        var path = Path.Combine(folder, fileName);
        var blobs = new List<BackupBlob>();
        var pipe = new Pipe();
        long plaintextBytes;
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            var archive = Task.Run(async () =>
            {
                try
                {
                    await using (var tar = new TarWriter(pipe.Writer.AsStream(leaveOpen: true), TarEntryFormat.Pax, leaveOpen: false))
                    {
                        if (Directory.Exists(root.Path))
                        {
                            foreach (var blob in Directory.EnumerateFiles(root.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                            {
                                var relative = Path.GetRelativePath(root.Path, blob).Replace('\\', '/');
                                if (relative.Split('/').Any(part => part.StartsWith(".incoming", StringComparison.Ordinal))) continue;
                                // A blob is its object's id: only those the dump holds, never a zero-retention image's.
                                var name = Path.GetFileName(blob);
                                if (objects is not null && (!objects.Ids.Contains(name) || objects.ZeroRetention.Contains(name))) continue;
                                await tar.WriteEntryAsync(blob, relative, cancellationToken);
                                blobs.Add(new BackupBlob(relative, new FileInfo(blob).Length, await HashAsync(blob, cancellationToken)));
                            }
                        }
                    }

                    await pipe.Writer.CompleteAsync();
                }
                catch (Exception exception)
                {
                    await pipe.Writer.CompleteAsync(exception);
                    throw;
                }
            }, cancellationToken);
            plaintextBytes = await keys.Cipher.EncryptAsync(pipe.Reader.AsStream(), file, id, fileName, cancellationToken);
            await archive;
            await file.FlushAsync(cancellationToken);
            file.Flush(flushToDisk: true);
        }

        return new BackupBlobRootEntry(root.Name, root.Database, await DescribeAsync(path, fileName, plaintextBytes, cancellationToken), blobs);
    }

    private static async Task<BackupPayloadFile> DescribeAsync(string path, string fileName, long plaintextBytes, CancellationToken cancellationToken) =>
        new(fileName, plaintextBytes, new FileInfo(path).Length, await HashAsync(path, cancellationToken));

    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    [LoggerMessage(EventId = 1701, Level = LogLevel.Information, Message = "Backup {BackupId} written: {Databases} database(s), {BlobRoots} blob root(s)")]
    private static partial void LogCreated(ILogger logger, string backupId, int databases, int blobRoots);
}

/// <summary>The backup key's cipher and the manifest signer, made once from <see cref="BackupOptions"/>.</summary>
internal sealed class BackupKeys(IOptions<BackupOptions> options) : IDisposable
{
    private BackupManifestSigner? signer;
    private BackupCipher? cipher;

    public BackupManifestSigner Signer => signer ??= new BackupManifestSigner(options.Value.SigningKey);

    public BackupCipher Cipher => cipher ??= BackupCipher.FromSecret(options.Value.Key);

    public void Dispose() => signer?.Dispose();
}
