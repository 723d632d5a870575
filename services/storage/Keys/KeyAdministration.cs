using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Storage.Events;

namespace Platform.Storage.Keys;

internal sealed class PolicyConflictException(string message) : Exception(message);

/// <summary>Status, rotation policy, retirement and destruction (crypto-shredding, SPEC ENC-SHRED) of organization keys.</summary>
internal sealed partial class KeyAdministration(
    NpgsqlDataSource dataSource, OrganizationKeyRing ring, IRootKeyProvider root, IOutbox outbox, TimeProvider time, IOptions<StorageOptions> options,
    ILogger<KeyAdministration> logger)
{
    private readonly StorageOptions settings = options.Value;

    public async Task<OrganizationKeyStatus?> StatusAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        OrganizationKeyStatus status;
        await using (var command = new NpgsqlCommand("""
            SELECT region, current_version, min_decryption_version, COALESCE(rotation_period, $2), rotated_at, destroyed_at
            FROM organization_keys WHERE organization_id = $1
            """, connection))
        {
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = settings.RotationPeriod });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            status = new OrganizationKeyStatus(organizationId, reader.GetString(0), reader.GetInt32(1), reader.GetInt32(2),
                (int)Math.Round(reader.GetFieldValue<TimeSpan>(3).TotalDays), reader.GetFieldValue<DateTimeOffset>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5), []);
        }

        var versions = new List<KeyVersionInfo>();
        await using (var command = new NpgsqlCommand("""
            SELECT version, wrapped_key IS NULL, usage_count, created_at, reason, root_key
            FROM organization_key_versions WHERE organization_id = $1 ORDER BY version
            """, connection))
        {
            command.Parameters.Add(new() { Value = organizationId });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var version = reader.GetInt32(0);
                var state = reader.GetBoolean(1) ? "destroyed"
                    : version == status.CurrentVersion ? "current"
                    : version < status.MinDecryptionVersion ? "retired" : "decrypt-only";
                versions.Add(new KeyVersionInfo(version, state, reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetString(5)));
            }
        }

        return status with { Versions = versions };
    }

    /// <summary>
    /// Sets the rotation period and/or the minimum decryption version. Retiring a version that still wraps object
    /// keys is refused: rewrap first, or those objects would become unreadable by accident rather than by decision.
    /// </summary>
    public async Task<bool> SetPolicyAsync(string organizationId, int? rotationPeriodDays, int? minDecryptionVersion, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        int current;
        await using (var select = new NpgsqlCommand(
            "SELECT current_version, destroyed_at IS NOT NULL FROM organization_keys WHERE organization_id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new() { Value = organizationId });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return false;
            if (reader.GetBoolean(1)) throw new KeyUnavailableException(KeyUnavailableReason.Destroyed);
            current = reader.GetInt32(0);
        }

        if (minDecryptionVersion is { } minimum)
        {
            if (minimum > current) throw new PolicyConflictException($"The minimum decryption version cannot exceed the current version ({current}).");
            await using var count = new NpgsqlCommand("SELECT count(*) FROM objects WHERE organization_id = $1 AND key_version < $2", connection, transaction);
            count.Parameters.Add(new() { Value = organizationId });
            count.Parameters.Add(new() { Value = minimum });
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! is var stillWrapped and > 0)
            {
                throw new PolicyConflictException($"{stillWrapped} object key(s) are still wrapped by versions below {minimum}; rewrap them first.");
            }
        }

        await using (var update = new NpgsqlCommand("""
            UPDATE organization_keys SET
                rotation_period = COALESCE($2, rotation_period),
                min_decryption_version = COALESCE($3, min_decryption_version)
            WHERE organization_id = $1
            """, connection, transaction))
        {
            update.Parameters.Add(new() { Value = organizationId });
            update.Parameters.Add(new() { Value = rotationPeriodDays is { } days ? TimeSpan.FromDays(days) : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval });
            update.Parameters.Add(new() { Value = minDecryptionVersion is { } v ? v : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        ring.ForgetCurrent(organizationId);
        LogPolicy(logger, organizationId, rotationPeriodDays, minDecryptionVersion);
        return true;
    }

    /// <summary>
    /// Destroys every key version of the organization: the wrapped keys are overwritten with NULL in the same
    /// transaction that writes the deletion receipt, and the organization's own key in the root key provider (HSM
    /// object or key file) is destroyed just before that transaction commits. Nothing the organization stored can be
    /// decrypted afterwards, wherever copies of its bytes, wrapped data keys or database backups went. Null when the
    /// organization has no keys here.
    /// </summary>
    public async Task<EncryptionKeysDestroyed?> DestroyAsync(string organizationId, string actor, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var select = new NpgsqlCommand(
            "SELECT destroyed_at IS NOT NULL FROM organization_keys WHERE organization_id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new() { Value = organizationId });
            switch (await select.ExecuteScalarAsync(cancellationToken))
            {
                case null: return null;
                case true: throw new KeyUnavailableException(KeyUnavailableReason.Destroyed);
            }
        }

        var versions = new List<int>();
        await using (var destroy = new NpgsqlCommand(
            "UPDATE organization_key_versions SET wrapped_key = NULL WHERE organization_id = $1 AND wrapped_key IS NOT NULL RETURNING version", connection, transaction))
        {
            destroy.Parameters.Add(new() { Value = organizationId });
            await using var reader = await destroy.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) versions.Add(reader.GetInt32(0));
        }

        var now = time.GetUtcNow();
        await using (var mark = new NpgsqlCommand(
            "UPDATE organization_keys SET destroyed_at = $2, destroyed_by = $3 WHERE organization_id = $1", connection, transaction))
        {
            mark.Parameters.Add(new() { Value = organizationId });
            mark.Parameters.Add(new() { Value = now });
            mark.Parameters.Add(new() { Value = actor });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        int datasets, objects;
        long bytes;
        await using (var count = new NpgsqlCommand("""
            SELECT (SELECT count(*) FROM datasets WHERE organization_id = $1), count(*), COALESCE(sum(size), 0)
            FROM objects WHERE organization_id = $1
            """, connection, transaction))
        {
            count.Parameters.Add(new() { Value = organizationId });
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (datasets, objects, bytes) = ((int)reader.GetInt64(0), (int)reader.GetInt64(1), reader.GetInt64(2));
        }

        var receipt = new EncryptionKeysDestroyed
        {
            OrganizationId = organizationId,
            OccurredAt = now,
            VersionsDestroyed = versions.Order().ToList(),
            DatasetsUnreadable = datasets,
            ObjectsUnreadable = objects,
            BytesUnreadable = bytes,
            Region = settings.Region,
            DestroyedAt = now,
            DestroyedBy = actor,
            Reason = reason,
        };
        await outbox.EnqueueAsync(receipt, transaction, cancellationToken);
        // Before the commit: if the provider fails, nothing is marked destroyed and the call can be repeated; if the
        // commit then fails, the keys are gone anyway and reads fail as destroyed.
        root.DestroyOrganizationKey(organizationId);
        await transaction.CommitAsync(cancellationToken);
        ring.Forget(organizationId);
        LogDestroyed(logger, organizationId, versions.Count, objects, actor);
        return receipt;
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "Key policy of {OrganizationId}: rotation period {Days} days, minimum decryption version {MinVersion}")]
    private static partial void LogPolicy(ILogger logger, string organizationId, int? days, int? minVersion);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Destroyed {Versions} key version(s) of {OrganizationId}; {Objects} object(s) are now unreadable (by {Actor})")]
    private static partial void LogDestroyed(ILogger logger, string organizationId, int versions, int objects, string actor);
}
