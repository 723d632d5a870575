using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Audit.Events;
using Platform.Messaging;
using RabbitMQ.Client;

namespace Platform.Audit.Tests;

[Collection(AuditServiceCollection.Name)]
public sealed class DeadLetterApiTests(AuditServiceFixture fixture)
{
    [Fact]
    public async Task A_malformed_audit_message_is_listed_with_its_reason_and_can_be_replayed()
    {
        var messageId = $"evt_malformed_{Guid.NewGuid():n}";
        await PublishRawAsync(messageId, "this is not JSON");

        using var client = Client(AuditServiceFixture.OperatorToken);
        var letter = await WaitForDeadLetterAsync(client, messageId);
        Assert.Equal("audit.recorded", letter.GetProperty("type").GetString());
        Assert.Contains("json", letter.GetProperty("reason").GetString()!, StringComparison.OrdinalIgnoreCase);

        using var replay = await client.PostAsync($"/v1/audit/dead-letters/{messageId}/replay", null);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        // Still not JSON: it comes back to the dead-letter queue, and ingestion carries on.
        await WaitForDeadLetterAsync(client, messageId);
    }

    [Fact]
    public async Task A_batch_with_an_event_that_cannot_be_stored_is_dead_lettered_whole()
    {
        var run = Guid.NewGuid().ToString("n")[..12];
        AuditRecorded Event(DateTimeOffset occurredAt) => new()
        {
            OccurredAt = occurredAt, OrganizationId = "org_a", Actor = $"key_{run}", Action = "http.request", Outcome = "success",
        };
        var batch = new AuditBatchRecorded { Events = [Event(DateTimeOffset.UtcNow), Event(default)] };
        await fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync(batch, CancellationToken.None);

        using var client = Client(AuditServiceFixture.OperatorToken);
        var letter = await WaitForDeadLetterAsync(client, batch.Id);
        Assert.Equal("audit.batch-recorded", letter.GetProperty("type").GetString());
        var stored = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/events?actor=key_{run}");
        Assert.Empty(stored.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Replaying_an_unknown_or_malformed_id_is_a_problem()
    {
        using var client = Client(AuditServiceFixture.OperatorToken);
        using var unknown = await client.PostAsync($"/v1/audit/dead-letters/evt_{Guid.NewGuid():n}/replay", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var odd = await client.PostAsync($"/v1/audit/dead-letters/{new string('x', 200)}/replay", null);
        Assert.Equal(HttpStatusCode.BadRequest, odd.StatusCode);
        using var limit = await client.GetAsync("/v1/audit/dead-letters?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, limit.StatusCode);
    }

    [Fact]
    public async Task Dead_letters_are_for_operators_only()
    {
        using var tenant = Client(AuditServiceFixture.TenantToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.GetAsync("/v1/audit/dead-letters")).StatusCode);
        using var anonymous = fixture.Service.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/audit/dead-letters")).StatusCode);
    }

    private async Task PublishRawAsync(string messageId, string body)
    {
        var factory = new ConnectionFactory { Uri = new Uri(fixture.Servers.GetConnectionString("messaging")) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var properties = new BasicProperties { MessageId = messageId, Type = "audit.recorded", ContentType = "application/json", Persistent = true };
        await channel.BasicPublishAsync("platform.events", "audit.recorded", false, properties, Encoding.UTF8.GetBytes(body));
    }

    private static async Task<JsonElement> WaitForDeadLetterAsync(HttpClient client, string messageId)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var letters = await client.GetFromJsonAsync<JsonElement>("/v1/audit/dead-letters?limit=1000");
            foreach (var letter in letters.EnumerateArray())
            {
                if (letter.GetProperty("messageId").GetString() == messageId) return letter;
            }

            await Task.Delay(300);
        }

        Assert.Fail($"{messageId} never reached the dead-letter queue.");
        return default;
    }

    private HttpClient Client(string token)
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
