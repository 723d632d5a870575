using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Integration;

/// <summary>The event bus's own part of the RabbitMQ connection, on top of Aspire's <c>AddRabbitMQClient</c>.</summary>
[Collection(ServersCollection.Name)]
public sealed class BrokerConnectionTests(Servers servers)
{
    [Fact]
    public async Task Refused_credentials_are_reported_naming_the_connection_and_never_the_password()
    {
        var wrongPassword = $"Wr0ng-{Guid.NewGuid():n}";
        await using var service = await TestService.StartAsync(servers, await servers.CreateDatabaseAsync(), TestService.UniqueName("refused"),
            _ => { },
            settings: new Dictionary<string, string?>
            {
                ["ConnectionStrings:messaging"] = new UriBuilder(servers.RabbitMQConnectionString) { Password = wrongPassword }.Uri.ToString(),
                // Aspire retries a refused login as if the broker were unreachable; one attempt is enough here.
                ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0",
            },
            consumes: false);

        await Assert.ThrowsAnyAsync<Exception>(() => service.Publisher.PublishAsync(new Refused { Subject = "refused" }, CancellationToken.None));

        var refused = Assert.Single(service.Logs.Entries, entry => entry.EventId == 2115);
        Assert.Contains("'messaging'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__messaging", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(service.Logs.Entries, entry => entry.Message.Contains(wrongPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_broker_that_was_down_at_start_up_is_used_once_it_is_back()
    {
        await servers.App.StopResourceAsync("messaging");
        TestService service;
        try
        {
            service = await TestService.StartAsync(servers, await servers.CreateDatabaseAsync(), TestService.UniqueName("late"),
                _ => { },
                // One attempt per caller, so that the failure comes at once.
                settings: new Dictionary<string, string?> { ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0" },
                consumes: false);
            await Assert.ThrowsAnyAsync<Exception>(() => service.Publisher.PublishAsync(new Refused { Subject = "while down" }, CancellationToken.None));
        }
        finally
        {
            await servers.App.StartResourceAsync("messaging");
        }

        await using (service)
        {
            // A remembered failure would fail every publish from now on; a new attempt per caller succeeds.
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    await service.Publisher.PublishAsync(new Refused { Subject = "after the restart" }, CancellationToken.None);
                    return true;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "a publish to be confirmed once RabbitMQ is back", service.Logs.Dump);
        }
    }

    [IntegrationEvent("msgtest.connection.refused")]
    public sealed record Refused : TestEvent;
}
