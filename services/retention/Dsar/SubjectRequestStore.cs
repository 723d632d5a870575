using Npgsql;

namespace Platform.Retention.Dsar;

/// <summary>Data-subject requests of an organization; another organization's are never found.</summary>
internal static class SubjectRequestStore
{
    private const string Columns = "id, organization_id, subject_user_id, subject_email, type, status, received_at, received_by, due_at, extended_at, extended_by, extension_reason, completed_at, include_objects, asked_at, attempts, receipt, signature";

    public static async Task InsertAsync(SubjectRequest request, string? holds, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO subject_requests (id, organization_id, subject_user_id, subject_email, type, status, received_at, received_by, due_at,
                                          include_objects, asked_at, attempts, holds)
            VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $6, 1, $10::jsonb)
            """, connection, transaction);
        foreach (var value in new object[] { request.Id, request.OrganizationId, request.SubjectUserId, request.SubjectEmail, request.Type, request.ReceivedAt, request.ReceivedBy, request.DueAt, request.IncludeObjects })
            command.Parameters.Add(new() { Value = value });
        command.Parameters.Add(new() { Value = (object?)holds ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<List<SubjectRequest>> ListAsync(NpgsqlDataSource dataSource, string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM subject_requests WHERE organization_id = $1 ORDER BY received_at DESC, id LIMIT 500");
        command.Parameters.Add(new() { Value = organizationId });
        var requests = new List<SubjectRequest>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) requests.Add(Read(reader));
        return requests;
    }

    public static async Task<SubjectRequest?> FindAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string organizationId, string id, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM subject_requests WHERE id = $1 AND organization_id = $2 {(transaction is null ? "" : "FOR UPDATE")}", connection, transaction);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = organizationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public static async Task ExtendAsync(SubjectRequest extended, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE subject_requests SET due_at = $2, extended_at = $3, extended_by = $4, extension_reason = $5 WHERE id = $1 AND extended_at IS NULL", connection, transaction);
        foreach (var value in new object[] { extended.Id, extended.DueAt, extended.ExtendedAt!.Value, extended.ExtendedBy!, extended.ExtensionReason! }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SubjectRequest Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5),
        reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9), reader.IsDBNull(10) ? null : reader.GetString(10),
        reader.IsDBNull(11) ? null : reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12),
        reader.GetBoolean(13), reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14), reader.GetInt32(15),
        reader.IsDBNull(16) ? null : reader.GetString(16), reader.IsDBNull(17) ? null : reader.GetString(17));

    /// <summary>Locks an open request for its completion or a new ask; null when none (another organization's included).</summary>
    public static async Task<SubjectRequest?> LockOpenAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string organizationId, string id, CancellationToken cancellationToken)
    {
        var request = await FindAsync(connection, transaction, organizationId, id, cancellationToken);
        return request is { Status: "open" } ? request : null;
    }

    public static async Task<List<SubjectAnswer>> AnswersAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string requestId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT participant, answer::text, answered_at FROM subject_request_answers WHERE request_id = $1 ORDER BY participant", connection, transaction);
        command.Parameters.Add(new() { Value = requestId });
        var answers = new List<SubjectAnswer>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) answers.Add(new SubjectAnswer(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        return answers;
    }

    /// <summary>Stores a participant's first answer; false when it had answered before (a repeated ask).</summary>
    public static async Task<bool> TryAddAnswerAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string requestId, string participant, string answer, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO subject_request_answers (request_id, participant, answer, answered_at) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING
            """, connection, transaction);
        foreach (var value in new object[] { requestId, participant, answer, at }) command.Parameters.Add(new() { Value = value });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public static async Task CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string requestId, DateTimeOffset at, string? receipt, string? signature, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE subject_requests SET status = 'completed', completed_at = $2, receipt = $3, signature = $4 WHERE id = $1", connection, transaction);
        command.Parameters.Add(new() { Value = requestId });
        command.Parameters.Add(new() { Value = at });
        command.Parameters.Add(new() { Value = (object?)receipt ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)signature ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
