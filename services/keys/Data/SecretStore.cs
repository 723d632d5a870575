using Npgsql;
using NpgsqlTypes;
using Platform.Keys.Secrets;

namespace Platform.Keys.Data;

/// <summary>The <c>organization_secrets</c> table: one row per live secret, its transit ciphertext and metadata.</summary>
internal sealed class SecretStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "organization_id, name, version, created_at, updated_at, updated_by";

    public async Task<Secret?> GetAsync(string organizationId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM organization_secrets WHERE organization_id = $1 AND name = $2");
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Up to <paramref name="limit"/> secrets by name, after <paramref name="after"/> when given.</summary>
    public async Task<IReadOnlyList<Secret>> ListAsync(string organizationId, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM organization_secrets WHERE organization_id = $1 AND ($2::text IS NULL OR name > $2) ORDER BY name LIMIT $3");
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(after));
        command.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var secrets = new List<Secret>();
        while (await reader.ReadAsync(cancellationToken)) secrets.Add(Read(reader));
        return secrets;
    }

    public async Task<SealedSecret?> GetSealedAsync(string organizationId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns}, ciphertext FROM organization_secrets WHERE organization_id = $1 AND name = $2");
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new SealedSecret(Read(reader), reader.GetString(6)) : null;
    }

    /// <summary>Creates the secret at version 1 or replaces its ciphertext with the next version; returns what is stored.</summary>
    public static async Task<Secret> SaveAsync(
        string organizationId, string name, string ciphertext, DateTimeOffset now, string actor, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO organization_secrets ({Columns}, ciphertext) VALUES ($1, $2, 1, $3, $3, $4, $5)
            ON CONFLICT (organization_id, name) DO UPDATE
                SET version = organization_secrets.version + 1, ciphertext = EXCLUDED.ciphertext,
                    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            RETURNING {Columns}
            """, transaction.Connection, transaction);
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(name));
        command.Parameters.Add(new NpgsqlParameter { Value = now.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Text(actor));
        command.Parameters.Add(Text(ciphertext));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return Read(reader);
    }

    /// <summary>Deletes the row (ciphertext included); the secret as it was, or null when there was none.</summary>
    public static async Task<Secret?> DeleteAsync(string organizationId, string name, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"DELETE FROM organization_secrets WHERE organization_id = $1 AND name = $2 RETURNING {Columns}", transaction.Connection, transaction);
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(name));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>The transit key version of a ciphertext (<c>pvt:v&lt;version&gt;:…</c>), in SQL.</summary>
    private const string SealedVersion = "substring(ciphertext from '^pvt:v([0-9]+):')::integer";

    /// <summary>Per organization, every transit key version a live secret's ciphertext is under (issue 16, the transit key lineage).</summary>
    public async Task<Dictionary<string, int[]>> SealedVersionsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT organization_id, array_agg(DISTINCT {SealedVersion}) FROM organization_secrets WHERE {SealedVersion} IS NOT NULL GROUP BY organization_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new Dictionary<string, int[]>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken)) versions[reader.GetString(0)] = reader.GetFieldValue<int[]>(1);
        return versions;
    }

    /// <summary>Up to <paramref name="limit"/> secrets sealed under a version below their organization's current one.</summary>
    public async Task<List<(string Organization, string Name, string Ciphertext)>> StaleAsync(
        IReadOnlyDictionary<string, int> current, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT s.organization_id, s.name, s.ciphertext FROM organization_secrets s
            JOIN unnest($1::text[], $2::integer[]) AS c(organization_id, version) ON c.organization_id = s.organization_id
            WHERE {SealedVersion} < c.version AND ($3::text IS NULL OR s.organization_id || '/' || s.name > $3)
            ORDER BY s.organization_id || '/' || s.name LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = current.Keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = current.Values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(Text(after));
        command.Parameters.Add(new NpgsqlParameter { Value = limit, NpgsqlDbType = NpgsqlDbType.Integer });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stale = new List<(string, string, string)>();
        while (await reader.ReadAsync(cancellationToken)) stale.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return stale;
    }

    /// <summary>Replaces a secret's ciphertext by its rewrapped form, only if nobody replaced or deleted it meanwhile.</summary>
    public async Task<bool> ReplaceCiphertextAsync(string organizationId, string name, string expected, string rewrapped, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE organization_secrets SET ciphertext = $4 WHERE organization_id = $1 AND name = $2 AND ciphertext = $3");
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(name));
        command.Parameters.Add(Text(expected));
        command.Parameters.Add(Text(rewrapped));
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static Secret Read(NpgsqlDataReader reader) => new(
        OrganizationId: reader.GetString(0),
        Name: reader.GetString(1),
        Version: reader.GetInt32(2),
        CreatedAt: reader.GetFieldValue<DateTimeOffset>(3),
        UpdatedAt: reader.GetFieldValue<DateTimeOffset>(4),
        UpdatedBy: reader.GetString(5));

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
