using System.Security.Cryptography;
using Npgsql;
using Platform.Audit.Data;
using Platform.Audit.Model;

namespace Platform.Audit.Siem;

/// <summary>
/// SIEM destinations and their cursors in auditdb (schema step 3). A cursor is the leaf index in the organization's
/// log up to which entries were delivered: it survives restarts, and the log's order is the delivery order.
/// </summary>
internal sealed class SiemStore(NpgsqlDataSource dataSource)
{
    private const string DestinationColumns =
        "d.id, d.organization_id, d.kind, d.host, d.port, d.ca_certificate, d.created_at, d.cursor, d.failures, d.last_delivered_at, d.last_error, d.last_error_at, d.next_attempt_at, d.token_sealed";

    /// <summary>A new destination of the organization; null when it already has <paramref name="limit"/> of them.</summary>
    public static string NewId() => "siem_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10));

    public async Task<SiemDestination?> CreateAsync(
        string id, string organizationId, string kind, DestinationAddress address, string? caCertificate, byte[]? sealedToken, bool fromBeginning, int limit, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO siem_destinations (id, organization_id, kind, host, port, ca_certificate, created_at, cursor, token_sealed)
            SELECT $1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN 0 ELSE coalesce((SELECT size FROM audit_logs WHERE log_id = $2), 0) END, $10
            WHERE (SELECT count(*) FROM siem_destinations WHERE organization_id = $2) < $9
            RETURNING cursor
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = kind });
        command.Parameters.Add(new() { Value = address.Host });
        command.Parameters.Add(new() { Value = address.Port });
        command.Parameters.Add(new() { Value = (object?)caCertificate ?? DBNull.Value });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = fromBeginning });
        command.Parameters.Add(new() { Value = (long)limit });
        command.Parameters.Add(new() { Value = (object?)sealedToken ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        if (await command.ExecuteScalarAsync(cancellationToken) is not long cursor) return null;
        return new SiemDestination(id, organizationId, kind, address, caCertificate, now, cursor, 0, null, null, null, null, sealedToken);
    }

    /// <summary>An organization's destinations with the size of its log (the lag is the difference to the cursor).</summary>
    public async Task<IReadOnlyList<(SiemDestination Destination, long LogSize)>> ListAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {DestinationColumns}, coalesce(l.size, 0) FROM siem_destinations d LEFT JOIN audit_logs l ON l.log_id = d.organization_id
            WHERE d.organization_id = $1 ORDER BY d.created_at, d.id
            """);
        command.Parameters.Add(new() { Value = organizationId });
        var found = new List<(SiemDestination, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) found.Add((ReadDestination(reader), reader.GetInt64(14)));
        return found;
    }

    /// <summary>Deletes one of the organization's destinations; another organization's is as absent as none.</summary>
    public async Task<bool> DeleteAsync(string organizationId, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM siem_destinations WHERE organization_id = $1 AND id = $2");
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = id });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Takes one destination that has entries to deliver and is due, locked for this transaction (other replicas skip
    /// it), with its next entries in log order; null when none is due.
    /// </summary>
    public async Task<(SiemDestination Destination, IReadOnlyList<AuditEntry> Entries, long NextCursor)?> ClaimDueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        SiemDestination destination;
        await using (var claim = new NpgsqlCommand($"""
            SELECT {DestinationColumns} FROM siem_destinations d JOIN audit_logs l ON l.log_id = d.organization_id
            WHERE l.size > d.cursor AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= $1)
            ORDER BY d.next_attempt_at NULLS FIRST, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED
            """, connection, transaction))
        {
            claim.Parameters.Add(new() { Value = now });
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            destination = ReadDestination(reader);
        }

        var entries = new List<AuditEntry>();
        var next = destination.Cursor;
        await using (var select = new NpgsqlCommand(
            $"SELECT {AuditSql.Columns}, leaf_index FROM audit_events WHERE log_id = $1 AND leaf_index >= $2 ORDER BY leaf_index LIMIT $3", connection, transaction))
        {
            select.Parameters.Add(new() { Value = destination.OrganizationId });
            select.Parameters.Add(new() { Value = destination.Cursor });
            select.Parameters.Add(new() { Value = batchSize });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                entries.Add(AuditSql.ReadEntry(reader));
                next = reader.GetInt64(13) + 1;
            }
        }

        return (destination, entries, next);
    }

    public static async Task DeliveredAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, long nextCursor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE siem_destinations SET cursor = $2, last_delivered_at = $3, failures = 0, next_attempt_at = NULL WHERE id = $1
            """, connection, transaction);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = nextCursor });
        command.Parameters.Add(new() { Value = now });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task FailedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string id, string error, DateTimeOffset now, DateTimeOffset nextAttempt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE siem_destinations SET failures = failures + 1, last_error = $2, last_error_at = $3, next_attempt_at = $4 WHERE id = $1
            """, connection, transaction);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = error });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = nextAttempt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SiemDestination ReadDestination(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), new DestinationAddress(reader.GetString(3), reader.GetInt32(4)),
        reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetInt64(7), reader.GetInt32(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
        reader.IsDBNull(13) ? null : reader.GetFieldValue<byte[]>(13));
}
