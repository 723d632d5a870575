using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Messaging.Outbox;
using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Integration;

[Collection(ServersCollection.Name)]
public sealed class OutboxTests(Servers servers)
{
    [Fact]
    public async Task A_relay_that_dies_after_publishing_but_before_marking_sent_sends_again_on_restart_and_the_consumer_applies_once()
    {
        var consumerDatabase = await servers.CreateDatabaseAsync();
        var publisherDatabase = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, consumerDatabase, TestService.UniqueName("billing"),
            bus => bus.WithInbox().AddSubscription<InvoiceRaised, RecordingHandler<InvoiceRaised>>());

        var publishedButNotMarked = new TaskCompletionSource<IReadOnlyList<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var crashing = await TestService.StartAsync(servers, publisherDatabase, TestService.UniqueName("orders"),
            bus => bus.AddOutbox(),
            services => services.AddSingleton(new OutboxRelayHooks
            {
                AfterPublishBeforeMarkingSent = async (ids, cancellationToken) =>
                {
                    publishedButNotMarked.TrySetResult(ids);
                    // The process "dies" here: nothing after this point runs, the transaction never commits.
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                },
            }),
            consumes: false);

        var raised = new InvoiceRaised { Subject = "invoice-1" };
        await crashing.EnqueueAsync(raised);
        Assert.Equal([raised.Id], await publishedButNotMarked.Task.WaitAsync(TimeSpan.FromSeconds(20)));
        await consumer.WaitUntilAppliedAsync(raised.Id);
        await crashing.DisposeAsync();
        Assert.Null(await SentAtAsync(publisherDatabase, raised.Id));

        await using var restarted = await TestService.StartAsync(servers, publisherDatabase, crashing.Name, bus => bus.AddOutbox(), consumes: false);
        var sentinel = new InvoiceRaised { Subject = "sentinel" };
        await restarted.EnqueueAsync(sentinel);

        await consumer.WaitUntilAppliedAsync(sentinel.Id);
        Assert.NotNull(await SentAtAsync(publisherDatabase, raised.Id));
        Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, raised.Id));
        Assert.Equal(1, consumer.Probe.CallsFor(raised.Id));
    }

    [Fact]
    public async Task Events_of_a_rolled_back_transaction_are_never_published()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var service = await TestService.StartAsync(servers, database, TestService.UniqueName("rollback"),
            bus => bus.WithInbox().AddOutbox().AddSubscription<InvoiceRaised, RecordingHandler<InvoiceRaised>>());

        var rolledBack = new InvoiceRaised { Subject = "never happened" };
        await using (var connection = await service.DataSource.OpenConnectionAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await service.Services.GetRequiredService<IOutbox>().EnqueueAsync(rolledBack, transaction, CancellationToken.None);
            await transaction.RollbackAsync();
        }

        var committed = new InvoiceRaised { Subject = "happened" };
        await service.EnqueueAsync(committed);

        await service.WaitUntilAppliedAsync(committed.Id);
        Assert.Equal(0, await AppliedEvents.CountAsync(service.DataSource, rolledBack.Id));
        Assert.Equal(0, service.Probe.CallsFor(rolledBack.Id));
    }

    [Fact]
    public async Task Sent_rows_are_purged_after_the_retention_and_unsent_ones_are_kept()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var service = await TestService.StartAsync(servers, database, TestService.UniqueName("purge"),
            bus => bus.WithInbox().AddOutbox().AddSubscription<InvoiceRaised, RecordingHandler<InvoiceRaised>>(),
            settings: new Dictionary<string, string?>
            {
                ["Messaging:Outbox:SentRetention"] = "00:00:00",
                ["Messaging:Outbox:PurgeInterval"] = "00:00:01",
            });
        await using (var dataSource = NpgsqlDataSource.Create(database))
        await using (var insert = dataSource.CreateCommand(
            """
            INSERT INTO outbox (event_id, type, payload, occurred_at, created_at, next_attempt_at)
            VALUES ('evt_far_future', 'msgtest.outbox.invoice-raised', '{}', now(), now(), now() + interval '1 day')
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var sent = new InvoiceRaised { Subject = "purge me" };
        await service.EnqueueAsync(sent);
        await service.WaitUntilAppliedAsync(sent.Id);

        await Eventually.HoldsAsync(async () => await OutboxRowsAsync(database) == 1, TimeSpan.FromSeconds(15), "the sent row to be purged", service.Logs.Dump);
        Assert.Null(await SentAtAsync(database, "evt_far_future"));
    }

    private static async Task<DateTime?> SentAtAsync(string database, string eventId)
    {
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand("SELECT sent_at FROM outbox WHERE event_id = @id");
        command.Parameters.AddWithValue("id", eventId);
        return await command.ExecuteScalarAsync() as DateTime?;
    }

    private static async Task<long> OutboxRowsAsync(string database)
    {
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM outbox");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [IntegrationEvent("msgtest.outbox.invoice-raised")]
    public sealed record InvoiceRaised : TestEvent;
}
