using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Storage.Crypto;
using Platform.Storage.Events;

namespace Platform.Storage.Keys;

/// <summary>
/// Per-organization key-encryption keys (SPEC ENC-KMS, ENC-ROTATE): versioned, wrapped by the root key, created on
/// first use, rotated on schedule, on demand, and before a version reaches <see cref="StorageOptions.KeyUsageLimit"/>
/// encryptions (NIST SP 800-38D section 8.3). Every encryption counts against its version in the database, so the
/// bound holds across replicas and restarts. Unwrapped keys are cached in memory only; the database row is read on
/// every use, so retirement and destruction take effect at once.
/// </summary>
internal sealed partial class OrganizationKeyRing(
    NpgsqlDataSource dataSource, IRootKeyProvider root, IOutbox outbox, TimeProvider time, IOptions<StorageOptions> options,
    ILogger<OrganizationKeyRing> logger)
{
    private readonly StorageOptions settings = options.Value;
    private readonly ConcurrentDictionary<(string Organization, int Version), byte[]> unwrapped = new();
    private readonly ConcurrentDictionary<string, CurrentKey> currentKeys = new();
    private readonly ConcurrentDictionary<(string Organization, int Version), long> uncounted = new();

    /// <summary>How long an organization's current version is used for data keys without reading its row again.</summary>
    internal static readonly TimeSpan CurrentKeyLifetime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The key for a new object's data key (issue 20: no database round trip per upload). The current version is read
    /// (and that use counted) at most every <see cref="CurrentKeyLifetime"/>, and never past its rotation due time or
    /// its usage bound as last read plus the uses handed out since; every other use is counted later, with the object
    /// rows of the group commit's transaction (<see cref="CountUsesAsync"/>, one UPDATE per batch and version), so the
    /// totals are the same as counting each. A version rotated here, or destroyed anywhere, is not handed out again:
    /// rotation and destruction here forget it at once, and the commit finds a destroyed organization (the upload fails,
    /// 410, nothing stored). Another replica's rotation or policy change is seen within <see cref="CurrentKeyLifetime"/>.
    /// </summary>
    public async Task<(int Version, byte[] Key)> ForDataKeyAsync(string organizationId, CancellationToken cancellationToken)
    {
        if (currentKeys.TryGetValue(organizationId, out var known) && known.Until > time.GetUtcNow()
            && known.Counted + Interlocked.Increment(ref known.HandedOut) <= settings.KeyUsageLimit)
        {
            uncounted.AddOrUpdate((organizationId, known.Version), 1, static (_, uses) => uses + 1);
            return (known.Version, known.Key);
        }

        // Uses handed out and not yet counted are counted first, so that the bound is checked against all of them.
        await CountUncountedAsync(organizationId, cancellationToken);
        var use = await CountedUseAsync(organizationId, null, cancellationToken);
        currentKeys[organizationId] = new CurrentKey(use.Version, use.Key, use.Counted, Min(time.GetUtcNow() + CurrentKeyLifetime, use.Due));
        return (use.Version, use.Key);
    }

    /// <summary>
    /// Counts the uses handed out and not yet counted, of one organization or all, in a transaction of their own that
    /// commits without waiting for its WAL flush (as <see cref="ForEncryptionAsync"/>'s count): the key maintenance pass
    /// counts those of uploads that failed when no batch followed them.
    /// </summary>
    public async Task CountUncountedAsync(string? organizationId, CancellationToken cancellationToken)
    {
        if (!uncounted.Keys.Any(k => organizationId is null || k.Organization == organizationId)) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var relaxed = new NpgsqlCommand("SELECT set_config('synchronous_commit', 'off', true)", connection, transaction))
        {
            await relaxed.ExecuteNonQueryAsync(cancellationToken);
        }

        var (_, drained) = await CountUsesAsync([], connection, transaction, cancellationToken, organizationId);
        try
        {
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            Uncount(drained);
            throw;
        }
    }

    /// <summary>
    /// In the caller's transaction: counts every use <see cref="ForDataKeyAsync"/> handed out since the last count (of
    /// <paramref name="onlyOrganization"/>, or all), one UPDATE for all versions, each organization's key row held
    /// shared (so a destruction waits for the commit, or this for it). Returns which of <paramref name="used"/> (and of
    /// the counted versions) are still usable — the organization's keys not destroyed, the version not destroyed —
    /// and what it took from the tally: when the transaction does not commit, hand that back with <see cref="Uncount"/>.
    /// </summary>
    public async Task<(HashSet<(string Organization, int Version)> Usable, List<KeyValuePair<(string Organization, int Version), long>> Drained)> CountUsesAsync(
        IEnumerable<(string Organization, int Version)> used, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken,
        string? onlyOrganization = null)
    {
        var drained = new List<KeyValuePair<(string Organization, int Version), long>>();
        foreach (var key in uncounted.Keys)
        {
            if ((onlyOrganization is null || key.Organization == onlyOrganization) && uncounted.TryRemove(key, out var uses)) drained.Add(new(key, uses));
        }

        var tally = new SortedDictionary<(string Organization, int Version), long>();
        foreach (var key in used) tally.TryAdd(key, 0);
        foreach (var (key, uses) in drained) tally[key] = tally.GetValueOrDefault(key) + uses;
        var usable = new HashSet<(string, int)>();
        if (tally.Count == 0) return (usable, drained);
        try
        {
            await using var command = new NpgsqlCommand("""
                WITH live AS (
                    SELECT organization_id FROM organization_keys
                    WHERE organization_id = ANY($1) AND destroyed_at IS NULL ORDER BY organization_id FOR SHARE)
                UPDATE organization_key_versions v SET usage_count = v.usage_count + u.uses
                FROM unnest($1::text[], $2::integer[], $3::bigint[]) AS u (organization_id, version, uses)
                WHERE v.organization_id = u.organization_id AND v.version = u.version AND v.destroyed_at IS NULL
                  AND u.organization_id IN (SELECT organization_id FROM live)
                RETURNING v.organization_id, v.version
                """, connection, transaction);
            command.Parameters.Add(new() { Value = tally.Keys.Select(k => k.Organization).ToArray() });
            command.Parameters.Add(new() { Value = tally.Keys.Select(k => k.Version).ToArray() });
            command.Parameters.Add(new() { Value = tally.Values.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) usable.Add((reader.GetString(0), reader.GetInt32(1)));
        }
        catch
        {
            Uncount(drained);
            throw;
        }

        foreach (var (organization, version) in tally.Keys.Where(k => !usable.Contains(k))) ForgetCurrent(organization, version);
        return (usable, drained);
    }

    /// <summary>Hands back uses whose count did not commit, to be counted with the next one.</summary>
    public void Uncount(IEnumerable<KeyValuePair<(string Organization, int Version), long>> drained)
    {
        foreach (var (key, uses) in drained) uncounted.AddOrUpdate(key, uses, (_, more) => more + uses);
    }

    /// <summary>The current key of the organization, counted as one use; creates the first version when there is none.</summary>
    /// <param name="transitCaller">
    /// For a transit encryption, the calling service: its seal of the version is recorded (<c>transit_seals</c>), so that
    /// the version is not destroyed while that caller may hold a live ciphertext under it (<see cref="TransitSeals"/>).
    /// </param>
    public async Task<(int Version, byte[] Key)> ForEncryptionAsync(string organizationId, CancellationToken cancellationToken, string? transitCaller = null)
    {
        var use = await CountedUseAsync(organizationId, transitCaller, cancellationToken);
        return (use.Version, use.Key);
    }

    private async Task<(int Version, byte[] Key, long Counted, DateTimeOffset Due)> CountedUseAsync(string organizationId, string? transitCaller, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // A use is counted only while the version is under its bound, so no version is ever used more often.
            // The count commits without waiting for its WAL flush (synchronous_commit off for this transaction only):
            // the object row that follows an upload commits synchronously, and WAL is flushed in order, so an
            // acknowledged upload's count is durable with it. A crash can lose only the last few hundred milliseconds
            // of counts of failed uploads and transit calls, far inside the margin between KeyUsageLimit and 2^32.
            // That saves a disk flush, the largest part of a small object's cost. A transit seal lost that way is put
            // back by the caller's next report, which names every version its live ciphertexts use.
            await using var command = dataSource.CreateCommand("""
                WITH used AS (
                    UPDATE organization_key_versions v SET usage_count = v.usage_count + 1, transit_used = v.transit_used OR $6::text IS NOT NULL
                    FROM organization_keys o, (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed
                    WHERE o.organization_id = $1 AND v.organization_id = o.organization_id AND v.version = o.current_version
                      AND o.destroyed_at IS NULL AND v.usage_count < $3 AND o.rotated_at + LEAST(COALESCE(o.rotation_period, $2), $5) > $4
                    RETURNING v.organization_id, v.version, v.wrapped_key, v.root_key, v.usage_count,
                              o.rotated_at + LEAST(COALESCE(o.rotation_period, $2), $5) AS due),
                sealed AS (
                    INSERT INTO transit_seals (organization_id, version, caller, last_sealed_at, held)
                    SELECT organization_id, version, $6, $4, true FROM used WHERE $6::text IS NOT NULL
                    ON CONFLICT (organization_id, version, caller) DO UPDATE SET last_sealed_at = EXCLUDED.last_sealed_at, held = true, released_at = NULL)
                SELECT version, wrapped_key, root_key, usage_count, due FROM used
                """);
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = settings.RotationPeriod });
            command.Parameters.Add(new() { Value = settings.KeyUsageLimit });
            command.Parameters.Add(new() { Value = time.GetUtcNow() });
            command.Parameters.Add(new() { Value = settings.BackupReach.EpochRotation });
            command.Parameters.Add(new() { Value = (object?)transitCaller ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                {
                    var version = reader.GetInt32(0);
                    return (version, Unwrap(organizationId, version, reader.GetFieldValue<byte[]>(1), reader.GetString(2)), reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4));
                }
            }

            await MakeUsableAsync(organizationId, cancellationToken);
        }

        throw new InvalidOperationException("The organization key kept changing while it was being read.");
    }

    /// <summary>Why the current version could not be used, fixed: no keys yet, usage bound reached, or period over.</summary>
    private async Task MakeUsableAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT o.destroyed_at IS NOT NULL, o.current_version, v.usage_count >= $2
            FROM organization_keys o JOIN organization_key_versions v ON v.organization_id = o.organization_id AND v.version = o.current_version
            WHERE o.organization_id = $1
            """);
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = settings.KeyUsageLimit });
        bool found, destroyed = false, exhausted = false;
        var current = 0;
        // The reader is disposed exactly once, before anything else runs: Npgsql hands its connection (and reuses the
        // reader object) to the next command once it is disposed, so disposing it again later would consume another
        // command's results on that connection (a desynchronised connection: wrong answers, then a hang).
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            found = await reader.ReadAsync(cancellationToken);
            if (found) (destroyed, current, exhausted) = (reader.GetBoolean(0), reader.GetInt32(1), reader.GetBoolean(2));
        }

        if (!found)
        {
            await EnsureOrganizationAsync(organizationId, cancellationToken);
            return;
        }

        if (destroyed) throw new KeyUnavailableException(KeyUnavailableReason.Destroyed);
        // The scheduler would get to an expired period within its interval; an encryption does not wait for it.
        await RotateAsync(organizationId, exhausted ? "usage-limit" : "scheduled", current, cancellationToken);
    }

    /// <summary>Key <paramref name="version"/> of the organization, if it may still decrypt.</summary>
    public async Task<byte[]> ForDecryptionAsync(string organizationId, int version, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT o.destroyed_at IS NOT NULL, o.min_decryption_version, v.wrapped_key, v.root_key, v.destroyed_at IS NOT NULL
            FROM organization_keys o
            LEFT JOIN organization_key_versions v ON v.organization_id = o.organization_id AND v.version = $2
            WHERE o.organization_id = $1
            """);
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = version });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) throw new KeyUnavailableException(KeyUnavailableReason.UnknownOrganization);
        if (reader.GetBoolean(0)) throw new KeyUnavailableException(KeyUnavailableReason.Destroyed);
        if (!reader.IsDBNull(4) && reader.GetBoolean(4)) throw new KeyUnavailableException(KeyUnavailableReason.VersionDestroyed);
        if (reader.IsDBNull(2)) throw new KeyUnavailableException(KeyUnavailableReason.UnknownVersion);
        if (version < reader.GetInt32(1)) throw new KeyUnavailableException(KeyUnavailableReason.Retired);
        return Unwrap(organizationId, version, reader.GetFieldValue<byte[]>(2), reader.GetString(3));
    }

    /// <summary>Makes a new current version, unless <paramref name="expectedCurrent"/> is given and no longer current.</summary>
    public async Task<int> RotateAsync(string organizationId, string reason, int? expectedCurrent, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int current;
        await using (var select = new NpgsqlCommand(
            "SELECT current_version, destroyed_at IS NOT NULL FROM organization_keys WHERE organization_id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new() { Value = organizationId });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) throw new KeyUnavailableException(KeyUnavailableReason.UnknownOrganization);
            if (reader.GetBoolean(1)) throw new KeyUnavailableException(KeyUnavailableReason.Destroyed);
            current = reader.GetInt32(0);
        }

        if (expectedCurrent is { } expected && expected != current) return current;

        var next = current + 1;
        var now = time.GetUtcNow();
        await InsertVersionAsync(connection, transaction, organizationId, next, reason, now, cancellationToken);
        await using (var update = new NpgsqlCommand(
            "UPDATE organization_keys SET current_version = $2, rotated_at = $3 WHERE organization_id = $1", connection, transaction))
        {
            update.Parameters.Add(new() { Value = organizationId });
            update.Parameters.Add(new() { Value = next });
            update.Parameters.Add(new() { Value = now });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(new EncryptionKeyRotated { OrganizationId = organizationId, OccurredAt = now, Version = next, Reason = reason }, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        currentKeys.TryRemove(organizationId, out _);
        LogRotated(logger, organizationId, next, reason);
        return next;
    }

    /// <summary>Organizations whose current version is older than their rotation period.</summary>
    public async Task<IReadOnlyList<(string Organization, int Version)>> DueForRotationAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT organization_id, current_version FROM organization_keys
            WHERE destroyed_at IS NULL AND region = $1 AND rotated_at + LEAST(COALESCE(rotation_period, $2), $4) <= $3
            """);
        command.Parameters.Add(new() { Value = settings.Region });
        command.Parameters.Add(new() { Value = settings.RotationPeriod });
        command.Parameters.Add(new() { Value = time.GetUtcNow() });
        command.Parameters.Add(new() { Value = settings.BackupReach.EpochRotation });
        var due = new List<(string, int)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) due.Add((reader.GetString(0), reader.GetInt32(1)));
        return due;
    }

    /// <summary>Drops one version's unwrapped key from this process's cache (it was destroyed).</summary>
    public void Forget(string organizationId, int version)
    {
        ForgetCurrent(organizationId, version);
        if (unwrapped.TryRemove((organizationId, version), out var key)) CryptographicOperations.ZeroMemory(key);
    }

    public void Forget(string organizationId)
    {
        currentKeys.TryRemove(organizationId, out _);
        foreach (var entry in unwrapped.Keys.Where(k => k.Organization == organizationId).ToList())
        {
            if (unwrapped.TryRemove(entry, out var key)) CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Versions made since organizations have their own provider key are wrapped by it (<c>root_key</c> names it);
    /// older ones by the root key directly. A version whose organization key is gone from the provider — a database
    /// restored from before a crypto-shred — is destroyed.
    /// </summary>
    private byte[] Unwrap(string organizationId, int version, byte[] wrapped, string wrappedBy)
    {
        if (unwrapped.TryGetValue((organizationId, version), out var cached)) return cached;
        var binding = AssociatedData.For(Purposes.OrganizationKey, organizationId, "-", version);
        var key = (wrappedBy == root.OrganizationKeyName ? root.UnwrapForOrganization(organizationId, wrapped, binding) : root.Unwrap(wrapped, binding))
            ?? throw new InvalidOperationException($"The root key '{root.Name}' cannot unwrap key version {version} of {organizationId}: wrong root key, or the row was altered.");
        return unwrapped.GetOrAdd((organizationId, version), key);
    }

    /// <summary>Stops handing out <paramref name="version"/> for data keys (it was rotated away, destroyed or changed by policy).</summary>
    public void ForgetCurrent(string organizationId, int? version = null)
    {
        if (currentKeys.TryGetValue(organizationId, out var known) && (version is null || known.Version == version)) currentKeys.TryRemove(new(organizationId, known));
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>A current version as last read: its count then, and the uses handed out since (<see cref="ForDataKeyAsync"/>).</summary>
    private sealed class CurrentKey(int version, byte[] key, long counted, DateTimeOffset until)
    {
        public long HandedOut;

        public int Version { get; } = version;

        public byte[] Key { get; } = key;

        public long Counted { get; } = counted;

        public DateTimeOffset Until { get; } = until;
    }

    private async Task EnsureOrganizationAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO organization_keys (organization_id, region, current_version, rotated_at, created_at)
            VALUES ($1, $2, 1, $3, $3) ON CONFLICT (organization_id) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = organizationId });
            insert.Parameters.Add(new() { Value = settings.Region });
            insert.Parameters.Add(new() { Value = now });
            if (await insert.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                // Someone else created it, or it was destroyed: the caller's next read says which.
                await using var destroyed = new NpgsqlCommand("SELECT destroyed_at IS NOT NULL FROM organization_keys WHERE organization_id = $1", connection, transaction);
                destroyed.Parameters.Add(new() { Value = organizationId });
                if (await destroyed.ExecuteScalarAsync(cancellationToken) is true) throw new KeyUnavailableException(KeyUnavailableReason.Destroyed);
                return;
            }
        }

        await InsertVersionAsync(connection, transaction, organizationId, 1, "created", now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogCreated(logger, organizationId);
    }

    private async Task InsertVersionAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, string organizationId, int version, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var key = RandomNumberGenerator.GetBytes(Aead.KeyBytes);
        var wrapped = root.WrapForOrganization(organizationId, key, AssociatedData.For(Purposes.OrganizationKey, organizationId, "-", version));
        CryptographicOperations.ZeroMemory(key);
        await using var insert = new NpgsqlCommand("""
            INSERT INTO organization_key_versions (organization_id, version, root_key, wrapped_key, created_at, reason)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, connection, transaction);
        insert.Parameters.Add(new() { Value = organizationId });
        insert.Parameters.Add(new() { Value = version });
        insert.Parameters.Add(new() { Value = root.OrganizationKeyName });
        insert.Parameters.Add(new() { Value = wrapped });
        insert.Parameters.Add(new() { Value = now });
        insert.Parameters.Add(new() { Value = reason });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Created key version 1 of {OrganizationId}")]
    private static partial void LogCreated(ILogger logger, string organizationId);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Rotated the key of {OrganizationId} to version {Version} ({Reason})")]
    private static partial void LogRotated(ILogger logger, string organizationId, int version, string reason);
}
