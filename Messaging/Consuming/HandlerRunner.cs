using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging.Diagnostics;

namespace Platform.Messaging.Consuming;

/// <summary>
/// Applies events of one subscription: in a new DI scope and, with the inbox, in one database transaction that
/// records the event ids too, so the handler's writes and "seen" commit or roll back together.
/// </summary>
internal sealed class HandlerRunner(
    SubscriptionRegistry subscriptions,
    IServiceScopeFactory scopes,
    IServiceProvider services,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider)
{
    private readonly NpgsqlDataSource? _dataSource = subscriptions.UseInbox ? DataSourceRequirement.Get(services, "WithInbox()") : null;

    /// <summary>Applies the items' events; returns how many were duplicates and skipped.</summary>
    /// <exception cref="HandlerFailedException">The handler failed; anything else thrown is the infrastructure's.</exception>
    public async Task<int> RunAsync(Subscription subscription, IReadOnlyList<WorkItem> items, CancellationToken cancellationToken)
    {
        var events = items.Select(item => item.Inbound.Event!).ToList();
        using var activity = StartActivity(subscription, items);
        await using var scope = scopes.CreateAsyncScope();

        if (_dataSource is null)
        {
            await InvokeAsync(subscription, scope.ServiceProvider, events, IntegrationEventContext.WithoutInbox, cancellationToken);
            Count(MessagingTelemetry.Processed, events.Count);
            return 0;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var fresh = await Inbox.ClaimAsync(connection, transaction, events, subscription.TypeName, timeProvider.GetUtcNow(), cancellationToken);
        // The first of several copies in one batch is applied; every other copy is a duplicate.
        var toApply = events.Where(e => fresh.Remove(e.Id)).ToList();
        if (toApply.Count > 0)
        {
            await InvokeAsync(subscription, scope.ServiceProvider, toApply, new IntegrationEventContext(connection, transaction), cancellationToken);
        }

        try
        {
            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception exception) when (IsHandlerFault(exception, cancellationToken))
        {
            // A deferred constraint of the handler's own writes fails at commit: still the handler's failure.
            throw new HandlerFailedException(exception);
        }

        var duplicates = events.Count - toApply.Count;
        Count(MessagingTelemetry.Processed, toApply.Count);
        Count(MessagingTelemetry.Duplicates, duplicates);
        activity?.SetTag("platform.messaging.duplicates", duplicates);
        return duplicates;
    }

    private static async Task InvokeAsync(
        Subscription subscription, IServiceProvider services, IReadOnlyList<IntegrationEvent> events, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        try
        {
            await subscription.Invoke(services, events, context, cancellationToken);
        }
        catch (Exception exception) when (IsHandlerFault(exception, cancellationToken))
        {
            throw new HandlerFailedException(exception);
        }
    }

    /// <summary>
    /// Everything a handler throws counts against the message, except the database connection failing under it
    /// (Npgsql marks those transient) and shutdown.
    /// </summary>
    private static bool IsHandlerFault(Exception exception, CancellationToken cancellationToken) =>
        exception is not NpgsqlException { IsTransient: true }
        && !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private System.Diagnostics.Activity? StartActivity(Subscription subscription, IReadOnlyList<WorkItem> items)
    {
        var service = options.Value.ServiceName;
        if (items.Count == 1)
        {
            return MessagingTelemetry.StartProcess(subscription.TypeName, service, TraceHeaders.Read(items[0].Delivery.Properties.Headers));
        }

        // A batch has many parents; OpenTelemetry's messaging conventions link them instead.
        var links = items
            .Select(item => TraceHeaders.Read(item.Delivery.Properties.Headers))
            .Where(context => context != default)
            .Select(context => new System.Diagnostics.ActivityLink(context))
            .ToList();
        var activity = MessagingTelemetry.StartProcess(subscription.TypeName, service, default, links);
        activity?.SetTag("messaging.batch.message_count", items.Count);
        return activity;
    }

    private void Count(System.Diagnostics.Metrics.Counter<long> counter, int value)
    {
        if (value > 0)
        {
            counter.Add(value, new KeyValuePair<string, object?>("messaging.consumer.group.name", options.Value.ServiceName));
        }
    }
}
