using System.Diagnostics;
using Npgsql;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>
/// The tests' stand-in for a service's own data: one row per time a handler applied an event. No unique key on
/// purpose, so applying an event twice shows up as two rows.
/// </summary>
public static class AppliedEvents
{
    public const string Schema =
        """
        CREATE TABLE applied (
            event_id   text        NOT NULL,
            subject    text        NOT NULL,
            trace_id   text,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    public static async Task InsertAsync(IntegrationEventContext context, TestEvent @event, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO applied (event_id, subject, trace_id) VALUES (@id, @subject, @trace)", context.Connection, context.Transaction);
        command.Parameters.AddWithValue("id", @event.Id);
        command.Parameters.AddWithValue("subject", @event.Subject);
        command.Parameters.AddWithValue("trace", (object?)Activity.Current?.TraceId.ToHexString() ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<long> CountAsync(NpgsqlDataSource dataSource, string eventId)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM applied WHERE event_id = @id");
        command.Parameters.AddWithValue("id", eventId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public static async Task<string?> TraceIdAsync(NpgsqlDataSource dataSource, string eventId)
    {
        await using var command = dataSource.CreateCommand("SELECT trace_id FROM applied WHERE event_id = @id");
        command.Parameters.AddWithValue("id", eventId);
        return await command.ExecuteScalarAsync() as string;
    }

    public static async Task<long> TotalAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM applied");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
