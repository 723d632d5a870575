using Npgsql;
using Platform.Retention.Model;

namespace Platform.Retention.Data;

/// <summary>Legal holds, never deleted: a release is recorded on the row.</summary>
internal sealed class HoldStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, organization_id, scope, target, reason, placed_at, placed_by, released_at, released_by, release_reason";

    public async Task<List<LegalHold>> ListAsync(string organizationId, bool includeReleased, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {Columns} FROM legal_holds WHERE organization_id = $1 AND ($2 OR released_at IS NULL) ORDER BY placed_at DESC, id LIMIT 1000");
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = includeReleased });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var holds = new List<LegalHold>();
        while (await reader.ReadAsync(cancellationToken)) holds.Add(Read(reader));
        return holds;
    }

    /// <summary>Inserts the hold unless an active one covers the same target; false then.</summary>
    public static async Task<bool> TryInsertAsync(LegalHold hold, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO legal_holds (id, organization_id, scope, target, reason, placed_at, placed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (organization_id, scope, target) WHERE released_at IS NULL DO NOTHING
            """, transaction.Connection, transaction);
        foreach (var value in new object[] { hold.Id, hold.OrganizationId, hold.Scope, hold.Target, hold.Reason, hold.PlacedAt, hold.PlacedBy }) command.Parameters.Add(new() { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The organization's hold, locked for a release; another organization's is absent.</summary>
    public static async Task<LegalHold?> LockAsync(string organizationId, string holdId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM legal_holds WHERE id = $1 AND organization_id = $2 FOR UPDATE", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = holdId });
        command.Parameters.Add(new() { Value = organizationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public static async Task ReleaseAsync(LegalHold released, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE legal_holds SET released_at = $2, released_by = $3, release_reason = $4 WHERE id = $1 AND released_at IS NULL", transaction.Connection, transaction);
        foreach (var value in new object[] { released.Id, released.ReleasedAt!.Value, released.ReleasedBy!, released.ReleaseReason! }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static LegalHold Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
        reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6),
        reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7), reader.IsDBNull(8) ? null : reader.GetString(8), reader.IsDBNull(9) ? null : reader.GetString(9));
}
