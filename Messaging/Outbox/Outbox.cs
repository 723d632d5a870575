using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Publishing;
using Platform.Messaging.Serialization;

namespace Platform.Messaging.Outbox;

internal sealed class Outbox(IOptions<EventBusOptions> options, TimeProvider timeProvider) : IOutbox
{
    // NOTIFY inside the transaction is delivered only at commit, and not at all on rollback: the relay wakes up
    // exactly when there is something committed to send.
    private const string Sql =
        $"""
        INSERT INTO outbox (event_id, type, payload, trace_parent, trace_state, occurred_at, created_at, next_attempt_at, must_be_routed)
        SELECT e.event_id, e.type, e.payload, @trace_parent, @trace_state, e.occurred_at, @now, @now, e.must_be_routed
        FROM unnest(@event_ids, @types, @payloads, @occurred_at, @must_be_routed)
            WITH ORDINALITY AS e(event_id, type, payload, occurred_at, must_be_routed, position)
        ORDER BY e.position;
        SELECT pg_notify('{OutboxStore.NotificationChannel}', '');
        """;

    public Task EnqueueAsync(IntegrationEvent @event, NpgsqlTransaction transaction, CancellationToken cancellationToken) =>
        EnqueueAsync([@event], transaction, cancellationToken);

    public async Task EnqueueAsync(IReadOnlyList<IntegrationEvent> events, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(transaction);
        var connection = transaction.Connection
            ?? throw new ArgumentException("The transaction is already completed.", nameof(transaction));
        if (events.Count == 0)
        {
            return;
        }

        var completed = events.Select(e => EventMessages.Complete(e, timeProvider)).ToList();
        var types = completed.Select(e => EventTypeNames.Of(e.GetType())).ToArray();
        var payloads = completed
            .Select((e, index) => Encoding.UTF8.GetString(EventMessages.Body(e, types[index], options.Value.MaxMessageBytes)))
            .ToArray();
        // The request's trace context travels with the row, so the consumer's span joins the request that caused it.
        var (traceParent, traceState) = TraceHeaders.Capture();

        await using var command = new NpgsqlCommand(Sql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("event_ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. completed.Select(e => e.Id)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("types", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = types });
        command.Parameters.Add(new NpgsqlParameter<string[]>("payloads", NpgsqlDbType.Array | NpgsqlDbType.Jsonb) { TypedValue = payloads });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("occurred_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. completed.Select(e => e.OccurredAt)] });
        command.Parameters.Add(new NpgsqlParameter<bool[]>("must_be_routed", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { TypedValue = [.. completed.Select(e => EventTypeNames.MustBeRouted(e.GetType()))] });
        command.Parameters.Add(new NpgsqlParameter("trace_parent", NpgsqlDbType.Text) { Value = (object?)traceParent ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("trace_state", NpgsqlDbType.Text) { Value = (object?)traceState ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = timeProvider.GetUtcNow() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
