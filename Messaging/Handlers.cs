using Npgsql;

namespace Platform.Messaging;

/// <summary>
/// Handles one event. It runs inside the consuming service's database transaction that also records the
/// event id in the inbox, so its own writes and "seen" commit together: a redelivery changes nothing.
/// </summary>
public interface IIntegrationEventHandler<in TEvent> where TEvent : IntegrationEvent
{
    Task HandleAsync(TEvent @event, IntegrationEventContext context, CancellationToken cancellationToken);
}

/// <summary>
/// Handles many events of one type at once (high-volume consumers such as audit ingestion): one transaction,
/// one round trip, one multi-ack. Events already in the inbox are filtered out before the call.
/// </summary>
public interface IBatchIntegrationEventHandler<TEvent> where TEvent : IntegrationEvent
{
    Task HandleAsync(IReadOnlyList<TEvent> events, IntegrationEventContext context, CancellationToken cancellationToken);
}

/// <summary>What a handler gets besides the event: the open transaction of the inbox.</summary>
/// <remarks>
/// A subscription without <see cref="EventBusBuilder.WithInbox"/> has no transaction to share; asking for one then
/// throws, because a handler that writes outside the inbox's transaction loses the exactly-once effect.
/// </remarks>
public sealed class IntegrationEventContext
{
    private const string NoInbox =
        "This event bus has no inbox: call WithInbox() on AddEventBus(...) to handle events inside a database transaction.";

    private readonly NpgsqlConnection? _connection;
    private readonly NpgsqlTransaction? _transaction;

    public IntegrationEventContext(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(transaction);
        _connection = connection;
        _transaction = transaction;
    }

    private IntegrationEventContext()
    {
    }

    /// <summary>The context of a subscription without an inbox.</summary>
    internal static IntegrationEventContext WithoutInbox { get; } = new();

    public NpgsqlConnection Connection => _connection ?? throw new InvalidOperationException(NoInbox);

    public NpgsqlTransaction Transaction => _transaction ?? throw new InvalidOperationException(NoInbox);

    /// <summary>
    /// Every row of <paramref name="sql"/> (positional parameters <c>$1</c>…), read in the inbox's transaction, as a JSON
    /// array of objects named by the query's column aliases: a service's part of a data-subject archive.
    /// </summary>
    public async Task<System.Text.Json.JsonElement> RowsAsJsonAsync(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, Connection, Transaction);
        foreach (var value in parameters) command.Parameters.Add(new() { Value = value });
        var rows = new List<Dictionary<string, object?>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }

        return System.Text.Json.JsonSerializer.SerializeToElement(rows, System.Text.Json.JsonSerializerOptions.Web);
    }
}
