using Npgsql;

namespace Platform.Retention.Closure;

/// <summary>Closures and the services' answers.</summary>
internal static class ClosureStore
{
    private const string Columns = "id, organization_id, status, requested_at, requested_by, grace_ends_at, cancelled_at, cancelled_by, deleting_since, closed_at, receipt, signature";

    /// <summary>The organization's closure that is not cancelled, else its latest cancelled one; locked when in a transaction.</summary>
    public static async Task<OrganizationClosure?> CurrentAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string organizationId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT {Columns} FROM organization_closures WHERE organization_id = $1
            ORDER BY status = 'cancelled', requested_at DESC LIMIT 1 {(transaction is null ? "" : "FOR UPDATE")}
            """, connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        return await ReadOneAsync(command, cancellationToken);
    }

    public static async Task<OrganizationClosure?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string closureId, string organizationId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM organization_closures WHERE id = $1 AND organization_id = $2 FOR UPDATE", connection, transaction);
        command.Parameters.Add(new() { Value = closureId });
        command.Parameters.Add(new() { Value = organizationId });
        return await ReadOneAsync(command, cancellationToken);
    }

    /// <summary>Inserts a pending closure unless one that is not cancelled exists (the unique index decides under races).</summary>
    public static async Task<bool> TryInsertAsync(OrganizationClosure closure, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO organization_closures (id, organization_id, status, requested_at, requested_by, grace_ends_at) VALUES ($1, $2, 'pending', $3, $4, $5)
            ON CONFLICT (organization_id) WHERE status <> 'cancelled' DO NOTHING
            """, connection, transaction);
        foreach (var value in new object[] { closure.Id, closure.OrganizationId, closure.RequestedAt, closure.RequestedBy, closure.GraceEndsAt }) command.Parameters.Add(new() { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task<List<(string Participant, string Answer, DateTimeOffset AnsweredAt)>> AnswersAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string closureId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT participant, answer::text, answered_at FROM closure_answers WHERE closure_id = $1 ORDER BY participant", connection, transaction);
        command.Parameters.Add(new() { Value = closureId });
        var answers = new List<(string, string, DateTimeOffset)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) answers.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return answers;
    }

    private static async Task<OrganizationClosure?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new OrganizationClosure(
            reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetString(7),
            reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
            reader.IsDBNull(10) ? null : reader.GetString(10), reader.IsDBNull(11) ? null : reader.GetString(11));
    }
}
