using System.Formats.Tar;
using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Retention.Backups;

/// <summary>Where a restore goes: a fresh, empty database per backed-up database and an empty folder per blob root.</summary>
public sealed record RestoreTargets(IReadOnlyDictionary<string, string> Databases, IReadOnlyDictionary<string, string> BlobRoots);

/// <summary>What a restore did; <see cref="Unrecoverable"/> lists objects whose data key no live key version unwraps.</summary>
public sealed record RestoreReport(string BackupId, IReadOnlyList<string> Databases, IReadOnlyList<string> BlobRoots, int ObjectsRewrapped,
    IReadOnlyList<UnrecoverableObject> Unrecoverable);

/// <summary>An object of the backup that cannot come back: its data key was wrapped only by a destroyed key version.</summary>
public sealed record UnrecoverableObject(string Database, string OrganizationId, string ObjectId, int KeyVersion, string Reason);

/// <summary>A restore that cannot start: the message is the problem's detail.</summary>
internal sealed class RestoreRefusedException(string slug, string message) : Exception(message)
{
    public string Slug { get; } = slug;
}

/// <summary>
/// Restores a verified backup set into fresh targets. For a storage database (one with <c>organization_key_versions</c>),
/// the backup holds no wrapped organization keys: they are taken from the live database (the configured source of the
/// same name), which is the only place they live; every object that is still live gets its current wrapped data key
/// and version from there (live objects were rewrapped onto live versions since); every other object keeps the backup's
/// wrapped data key, which unwraps only while its version lives. An object whose version was destroyed — deleted more
/// than the deletion bound ago — cannot be decrypted by anyone, so the restore drops its row (name, size, type) and its
/// blob and lists it. Transit ciphertexts (keys' secrets) are reconciled the same way (<see cref="TransitSecrets"/>). The
/// outboxes' unsent events are marked sent: a restored instance must not replay old events.
/// </summary>
internal sealed partial class BackupRestorer(IOptions<BackupOptions> options, BackupCatalog catalog, BackupKeys keys, ILogger<BackupRestorer> logger)
{
    public async Task<RestoreReport> RestoreAsync(string id, RestoreTargets targets, CancellationToken cancellationToken)
    {
        var manifest = await catalog.VerifyAsync(id, cancellationToken);
        await CheckTargetsAsync(manifest, targets, cancellationToken);
        var folder = Path.Combine(options.Value.Folder, id);
        var rewrapped = 0;
        var unrecoverable = new List<UnrecoverableObject>();
        foreach (var database in manifest.Databases)
        {
            var target = targets.Databases[database.Name];
            await PostgresTools.RunAsync(PostgresTools.Find("pg_restore", options.Value.PostgresBinDirectory), target,
                ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", $"--dbname={new NpgsqlConnectionStringBuilder(target).Database}"],
                cancellationToken,
                writeInput: async input =>
                {
                    await using var file = File.OpenRead(Path.Combine(folder, database.File.Name));
                    await keys.Cipher.DecryptAsync(file, input, id, database.File.Name, cancellationToken);
                });
            var configured = options.Value.Databases.FirstOrDefault(d => d.Name == database.Name);
            var live = configured?.ConnectionString;
            var (moved, lost) = await ReconcileKeysAsync(database.Name, target, live, cancellationToken);
            lost.AddRange(await DropZeroRetentionAsync(database, target, cancellationToken));
            if (configured?.TransitKeys is { } transit && options.Value.Databases.FirstOrDefault(d => d.Name == transit) is { } transitKeys)
            {
                var (secretsMoved, secretsLost) = await TransitSecrets.ReconcileAsync(database.Name, target, live!, transitKeys.ConnectionString, cancellationToken);
                moved += secretsMoved;
                lost.AddRange(secretsLost);
            }

            rewrapped += moved;
            unrecoverable.AddRange(lost);
        }

        foreach (var root in manifest.BlobRoots)
        {
            var target = targets.BlobRoots[root.Name];
            Directory.CreateDirectory(target);
            var pipe = new Pipe();
            var decrypt = Task.Run(async () =>
            {
                try
                {
                    await using var file = File.OpenRead(Path.Combine(folder, root.File.Name));
                    await keys.Cipher.DecryptAsync(file, pipe.Writer.AsStream(leaveOpen: true), id, root.File.Name, cancellationToken);
                    await pipe.Writer.CompleteAsync();
                }
                catch (Exception exception)
                {
                    await pipe.Writer.CompleteAsync(exception);
                    throw;
                }
            }, cancellationToken);
            await ExtractAsync(pipe.Reader.AsStream(), target, cancellationToken);
            await decrypt;
            foreach (var lost in unrecoverable.Where(u => u.Database == root.Database))
            {
                foreach (var region in Directory.EnumerateDirectories(target))
                {
                    foreach (var blob in Directory.EnumerateFiles(region, lost.ObjectId, SearchOption.AllDirectories)) File.Delete(blob);
                }
            }
        }

        LogRestored(logger, id, manifest.Databases.Count, manifest.BlobRoots.Count, unrecoverable.Count);
        return new RestoreReport(id, manifest.Databases.Select(d => d.Name).ToList(), manifest.BlobRoots.Select(b => b.Name).ToList(), rewrapped, unrecoverable);
    }

    private async Task CheckTargetsAsync(BackupManifest manifest, RestoreTargets targets, CancellationToken cancellationToken)
    {
        foreach (var database in manifest.Databases)
        {
            if (!targets.Databases.TryGetValue(database.Name, out var target) || !ConnectionStrings.IsPostgres(target))
                throw new RestoreRefusedException("invalid-request", $"Name a target database (a PostgreSQL connection string) for '{database.Name}'.");
            if (options.Value.Databases.Concat([]).Any(d => ConnectionStrings.Identity(d.ConnectionString) == ConnectionStrings.Identity(target)))
                throw new RestoreRefusedException("restore-target-is-live", $"The target for '{database.Name}' is a live database the platform backs up; restore into a fresh one.");
            await using var connection = new NpgsqlConnection(target);
            try
            {
                await connection.OpenAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                throw new RestoreRefusedException("restore-target-unavailable", $"The target database for '{database.Name}' cannot be reached ({exception.GetType().Name}).");
            }

            await using var tables = new NpgsqlCommand(
                "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r','p','v','m','S') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg_toast%'",
                connection);
            if ((long)(await tables.ExecuteScalarAsync(cancellationToken))! > 0)
                throw new RestoreRefusedException("restore-target-not-empty", $"The target database for '{database.Name}' is not empty; a restore goes only into a fresh, empty database.");
        }

        foreach (var root in manifest.BlobRoots)
        {
            if (!targets.BlobRoots.TryGetValue(root.Name, out var target) || !Path.IsPathFullyQualified(target))
                throw new RestoreRefusedException("invalid-request", $"Name a target folder (an absolute path) for the blob root '{root.Name}'.");
            var full = Path.GetFullPath(target);
            if (options.Value.BlobRoots.Any(b => IsWithin(full, Path.GetFullPath(b.Path)) || IsWithin(Path.GetFullPath(b.Path), full)) || IsWithin(full, Path.GetFullPath(options.Value.Folder)))
                throw new RestoreRefusedException("restore-target-is-live", $"The target for the blob root '{root.Name}' is (inside) a live blob root or the backup folder; restore into a fresh folder.");
            if (Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
                throw new RestoreRefusedException("restore-target-not-empty", $"The target folder for the blob root '{root.Name}' is not empty; a restore goes only into an empty or new folder.");
        }
    }

    private static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private async Task<(int Rewrapped, List<UnrecoverableObject> Lost)> ReconcileKeysAsync(string name, string target, string? live, CancellationToken cancellationToken)
    {
        await using var restored = new NpgsqlConnection(target);
        await restored.OpenAsync(cancellationToken);
        await using var transaction = await restored.BeginTransactionAsync(cancellationToken);
        await using (var outbox = new NpgsqlCommand(
            "DO $$ BEGIN IF to_regclass('public.outbox') IS NOT NULL THEN UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL; END IF; END $$", restored, transaction))
        {
            await outbox.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var isStorage = new NpgsqlCommand("SELECT to_regclass('public.organization_key_versions') IS NOT NULL AND to_regclass('public.objects') IS NOT NULL", restored, transaction))
        {
            if (await isStorage.ExecuteScalarAsync(cancellationToken) is not true)
            {
                await transaction.CommitAsync(cancellationToken);
                return (0, []);
            }
        }

        var rewrapped = 0;
        if (live is not null)
        {
            await using var source = new NpgsqlConnection(live);
            await source.OpenAsync(cancellationToken);
            await CopyKeysAsync(source, restored, transaction, cancellationToken);
            rewrapped = await ApplyLiveWrappingAsync(source, restored, transaction, cancellationToken);
        }

        // Every object whose key version has no wrapped key (destroyed, or unknown to the live database) is unrecoverable.
        var lost = new List<UnrecoverableObject>();
        await using (var drop = new NpgsqlCommand("""
            DELETE FROM objects b
            WHERE NOT EXISTS (
                SELECT 1 FROM organization_key_versions v JOIN organization_keys o ON o.organization_id = v.organization_id
                WHERE v.organization_id = b.organization_id AND v.version = b.key_version AND v.wrapped_key IS NOT NULL AND o.destroyed_at IS NULL)
            RETURNING b.organization_id, b.id, b.key_version,
                CASE WHEN EXISTS (SELECT 1 FROM organization_keys o WHERE o.organization_id = b.organization_id AND o.destroyed_at IS NOT NULL) THEN 'organization-keys-destroyed'
                     WHEN EXISTS (SELECT 1 FROM organization_key_versions v WHERE v.organization_id = b.organization_id AND v.version = b.key_version) THEN 'key-version-destroyed'
                     ELSE 'key-version-unknown' END
            """, restored, transaction))
        {
            await using var reader = await drop.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) lost.Add(new UnrecoverableObject(name, reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3)));
        }

        await transaction.CommitAsync(cancellationToken);
        return (rewrapped, lost);
    }

    /// <summary>The rows of images that were under zero retention when the set was taken: their bytes are not in it.</summary>
    private static async Task<List<UnrecoverableObject>> DropZeroRetentionAsync(BackupDatabaseEntry database, string target, CancellationToken cancellationToken)
    {
        var dropped = new List<UnrecoverableObject>();
        if (database.ZeroRetentionObjects is not { Count: > 0 } ids) return dropped;
        await using var restored = new NpgsqlConnection(target);
        await restored.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand("DELETE FROM objects WHERE id = ANY($1) RETURNING organization_id, id, key_version", restored);
        drop.Parameters.Add(new() { Value = ids.ToArray() });
        await using var reader = await drop.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) dropped.Add(new UnrecoverableObject(database.Name, reader.GetString(0), reader.GetString(1), reader.GetInt32(2), "zero-retention"));
        return dropped;
    }

    /// <summary>The live organization keys and key versions (wrapped keys, or NULL where destroyed) replace the backup's.</summary>
    private static async Task CopyKeysAsync(NpgsqlConnection source, NpgsqlConnection restored, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var clear = new NpgsqlCommand("DELETE FROM organization_key_versions", restored, transaction)) await clear.ExecuteNonQueryAsync(cancellationToken);
        await using (var keys = new NpgsqlCommand(
            "SELECT organization_id, region, current_version, min_decryption_version, rotation_period, rotated_at, created_at, destroyed_at, destroyed_by FROM organization_keys", source))
        await using (var reader = await keys.ExecuteReaderAsync(cancellationToken))
        {
            var rows = new List<object[]>();
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new object[9];
                reader.GetValues(row);
                rows.Add(row);
            }

            await reader.DisposeAsync();
            foreach (var row in rows)
            {
                await using var upsert = new NpgsqlCommand("""
                    INSERT INTO organization_keys (organization_id, region, current_version, min_decryption_version, rotation_period, rotated_at, created_at, destroyed_at, destroyed_by)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    ON CONFLICT (organization_id) DO UPDATE SET current_version = EXCLUDED.current_version, min_decryption_version = EXCLUDED.min_decryption_version,
                        rotation_period = EXCLUDED.rotation_period, rotated_at = EXCLUDED.rotated_at, destroyed_at = EXCLUDED.destroyed_at, destroyed_by = EXCLUDED.destroyed_by
                    """, restored, transaction);
                foreach (var value in row) upsert.Parameters.Add(new() { Value = value });
                upsert.Parameters[4].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        await using var versions = new NpgsqlCommand("SELECT organization_id, version, root_key, wrapped_key, usage_count, created_at, reason, transit_used, unused_since, destroyed_at FROM organization_key_versions", source);
        var versionRows = new List<object[]>();
        await using (var reader = await versions.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new object[10];
                reader.GetValues(row);
                versionRows.Add(row);
            }
        }

        foreach (var row in versionRows)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO organization_key_versions (organization_id, version, root_key, wrapped_key, usage_count, created_at, reason, transit_used, unused_since, destroyed_at)
                SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM organization_keys WHERE organization_id = $1)
                """, restored, transaction);
            foreach (var value in row) insert.Parameters.Add(new() { Value = value });
            insert.Parameters[3].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea;
            insert.Parameters[8].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz;
            insert.Parameters[9].NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Objects still live get their current wrapped data key and version from the live database.</summary>
    private static async Task<int> ApplyLiveWrappingAsync(NpgsqlConnection source, NpgsqlConnection restored, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        await using (var select = new NpgsqlCommand("SELECT id FROM objects", restored, transaction))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        }

        var moved = 0;
        foreach (var batch in ids.Chunk(1000))
        {
            var current = new List<(string Id, int Version, byte[] Wrapped)>();
            await using (var live = new NpgsqlCommand("SELECT id, key_version, wrapped_dek FROM objects WHERE id = ANY($1)", source))
            {
                live.Parameters.Add(new() { Value = batch });
                await using var reader = await live.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) current.Add((reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<byte[]>(2)));
            }

            foreach (var (id, version, wrapped) in current)
            {
                await using var update = new NpgsqlCommand(
                    "UPDATE objects SET key_version = $2, wrapped_dek = $3 WHERE id = $1 AND (key_version <> $2 OR wrapped_dek <> $3)", restored, transaction);
                update.Parameters.Add(new() { Value = id });
                update.Parameters.Add(new() { Value = version });
                update.Parameters.Add(new() { Value = wrapped });
                moved += await update.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        return moved;
    }

    /// <summary>Extracts regular files and folders only, each inside <paramref name="target"/> (no links, no "..", no absolute names).</summary>
    private static async Task ExtractAsync(Stream archive, string target, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(target);
        await using var reader = new TarReader(archive);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!IsWithin(path, root) || Path.IsPathRooted(entry.Name)) throw new BackupInvalidException($"The blob archive names a path outside its root ({entry.Name.Length} characters).");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(file, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1703, Level = LogLevel.Information, Message = "Restored backup {BackupId}: {Databases} database(s), {BlobRoots} blob root(s), {Unrecoverable} object(s) unrecoverable (key destroyed)")]
    private static partial void LogRestored(ILogger logger, string backupId, int databases, int blobRoots, int unrecoverable);
}
