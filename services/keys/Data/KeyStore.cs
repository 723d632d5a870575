using Npgsql;
using NpgsqlTypes;
using Platform.Keys.Model;

namespace Platform.Keys.Data;

/// <summary>The <c>api_keys</c> table. Writes take the caller's transaction, so events go out with the change (outbox).</summary>
internal sealed class KeyStore(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, organization_id, name, environment, display_prefix, scopes, allowed_cidrs, rate_limit_requests, rate_limit_window_seconds, "
        + "created_at, created_by, updated_at, expires_at, revoked_at, rotated_from, rotated_to, last_used_at, use_count";

    public async Task<ApiKey?> GetAsync(string organizationId, string keyId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM api_keys WHERE id = $1 AND organization_id = $2");
        command.Parameters.Add(Text(keyId));
        command.Parameters.Add(Text(organizationId));
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>Reads the key and locks its row until the transaction ends, so concurrent changes apply one after the other.</summary>
    public static async Task<ApiKey?> LockAsync(string organizationId, string keyId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM api_keys WHERE id = $1 AND organization_id = $2 FOR UPDATE", transaction.Connection, transaction);
        command.Parameters.Add(Text(keyId));
        command.Parameters.Add(Text(organizationId));
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>Newest first; one row more than asked says whether there is a next page.</summary>
    public async Task<(IReadOnlyList<ApiKey> Keys, bool More)> ListAsync(string organizationId, int limit, string? afterId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM api_keys WHERE organization_id = $1 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3");
        command.Parameters.Add(Text(organizationId));
        command.Parameters.Add(Text(afterId));
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1, NpgsqlDbType = NpgsqlDbType.Integer });
        var keys = await ReadAllAsync(command, cancellationToken);
        return (keys.Take(limit).ToList(), keys.Count > limit);
    }

    /// <summary>The key stored under <paramref name="hash"/>, with the stored hash for a constant-time confirmation.</summary>
    public async Task<(ApiKey Key, byte[] Hash)?> FindByHashAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns}, secret_hash FROM api_keys WHERE secret_hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = hash, NpgsqlDbType = NpgsqlDbType.Bytea });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (Read(reader), reader.GetFieldValue<byte[]>(18)) : null;
    }

    public static async Task<ApiKey> InsertAsync(ApiKey key, byte[] secretHash, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO api_keys (id, organization_id, name, environment, display_prefix, secret_hash, scopes, allowed_cidrs,
                                  rate_limit_requests, rate_limit_window_seconds, created_at, created_by, updated_at, expires_at, rotated_from)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $13, $14)
            RETURNING {Columns}
            """, transaction.Connection, transaction);
        command.Parameters.Add(Text(key.Id));
        command.Parameters.Add(Text(key.OrganizationId));
        command.Parameters.Add(Text(key.Name));
        command.Parameters.Add(Text(key.Environment.Name()));
        command.Parameters.Add(Text(key.DisplayPrefix));
        command.Parameters.Add(new NpgsqlParameter { Value = secretHash, NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(Texts(key.Scopes.Select(Scopes.Encode)));
        command.Parameters.Add(Texts(key.AllowedCidrs));
        command.Parameters.Add(Integer(key.RateLimit?.Requests));
        command.Parameters.Add(Integer(key.RateLimit?.WindowSeconds));
        command.Parameters.Add(Time(key.CreatedAt));
        command.Parameters.Add(Text(key.CreatedBy));
        command.Parameters.Add(Time(key.ExpiresAt));
        command.Parameters.Add(Text(key.RotatedFrom));
        return (await ReadOneAsync(command, cancellationToken))!;
    }

    /// <summary>Writes every field a change may touch; usage counters are left to <see cref="AddUsageAsync"/>.</summary>
    public static async Task<ApiKey> UpdateAsync(ApiKey key, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            UPDATE api_keys SET name = $2, scopes = $3, allowed_cidrs = $4, rate_limit_requests = $5, rate_limit_window_seconds = $6,
                                expires_at = $7, revoked_at = $8, rotated_to = $9, updated_at = $10
            WHERE id = $1
            RETURNING {Columns}
            """, transaction.Connection, transaction);
        command.Parameters.Add(Text(key.Id));
        command.Parameters.Add(Text(key.Name));
        command.Parameters.Add(Texts(key.Scopes.Select(Scopes.Encode)));
        command.Parameters.Add(Texts(key.AllowedCidrs));
        command.Parameters.Add(Integer(key.RateLimit?.Requests));
        command.Parameters.Add(Integer(key.RateLimit?.WindowSeconds));
        command.Parameters.Add(Time(key.ExpiresAt));
        command.Parameters.Add(Time(key.RevokedAt));
        command.Parameters.Add(Text(key.RotatedTo));
        command.Parameters.Add(Time(key.UpdatedAt));
        return (await ReadOneAsync(command, cancellationToken))!;
    }

    /// <summary>
    /// Adds use counts and moves <c>last_used_at</c> forward only (never past <paramref name="now"/>). Duplicates in a
    /// batch are summed first; rows are locked in id order, so concurrent batches cannot deadlock. Returns the keys updated.
    /// </summary>
    public async Task<int> AddUsageAsync(IReadOnlyList<KeyUsage> usage, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH batch AS (
                SELECT key_id, sum(uses)::bigint AS uses, max(used_at) AS used_at
                FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS u(key_id, uses, used_at)
                GROUP BY key_id),
            locked AS (
                SELECT k.id FROM api_keys k JOIN batch b ON b.key_id = k.id ORDER BY k.id FOR UPDATE OF k)
            UPDATE api_keys k
            SET use_count = k.use_count + b.uses, last_used_at = GREATEST(k.last_used_at, LEAST(b.used_at, $4))
            FROM batch b JOIN locked l ON l.id = b.key_id
            WHERE k.id = b.key_id
            """);
        command.Parameters.Add(Texts(usage.Select(u => u.KeyId)));
        command.Parameters.Add(new NpgsqlParameter { Value = usage.Select(u => u.Count).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = usage.Select(u => u.LastUsedAt.ToUniversalTime()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Time(now));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<ApiKey?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    private static async Task<List<ApiKey>> ReadAllAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) keys.Add(Read(reader));
        return keys;
    }

    private static ApiKey Read(NpgsqlDataReader reader)
    {
        KeyEnvironments.TryParse(reader.GetString(3), out var environment);
        return new ApiKey(
            Id: reader.GetString(0),
            OrganizationId: reader.GetString(1),
            Name: reader.GetString(2),
            Environment: environment,
            DisplayPrefix: reader.GetString(4),
            Scopes: reader.GetFieldValue<string[]>(5).Select(Scopes.Decode).ToList(),
            AllowedCidrs: reader.GetFieldValue<string[]>(6),
            RateLimit: reader.IsDBNull(7) ? null : new RateLimit(reader.GetInt32(7), reader.GetInt32(8)),
            CreatedAt: reader.GetFieldValue<DateTimeOffset>(9),
            CreatedBy: reader.GetString(10),
            UpdatedAt: reader.GetFieldValue<DateTimeOffset>(11),
            ExpiresAt: Nullable(reader, 12),
            RevokedAt: Nullable(reader, 13),
            RotatedFrom: reader.IsDBNull(14) ? null : reader.GetString(14),
            RotatedTo: reader.IsDBNull(15) ? null : reader.GetString(15),
            LastUsedAt: Nullable(reader, 16),
            UseCount: reader.GetInt64(17));
    }

    private static DateTimeOffset? Nullable(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter Texts(IEnumerable<string> values) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter Integer(int? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer };

    private static NpgsqlParameter Time(DateTimeOffset? value) =>
        new() { Value = (object?)value?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };
}
