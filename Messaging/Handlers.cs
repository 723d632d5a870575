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
}
