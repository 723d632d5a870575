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

    [IntegrationEvent("msgtest.connection.refused")]
    public sealed record Refused : TestEvent;
}
