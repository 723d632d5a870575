using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Audit.Events;
using Platform.Messaging;

namespace Platform.Audit.Tests;

/// <summary>
/// SIEM delivery to a Splunk HTTP Event Collector (issue 15 item 6): HEC JSON events over HTTPS to a real Kestrel
/// receiver stopped mid-stream and started again, nothing lost; the token sealed at rest and never shown.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class HecDeliveryTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    [Fact]
    public async Task Every_entry_reaches_the_collector_and_none_is_lost_when_it_stops_mid_stream()
    {
        var token = $"hec-{Guid.NewGuid()}";
        await using var receiver = await HecReceiver.StartAsync(token);
        var organization = $"org_hec_{run}";
        using var owner = fixture.UserClient(organization, "Owner");
        string id;
        using (var created = await owner.PostAsJsonAsync("/v1/audit/siem/destinations",
            new { kind = "splunk-hec", endpoint = $"127.0.0.1:{receiver.Port}", token, caCertificate = receiver.CaCertificatePem }))
        {
            var text = await created.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.DoesNotContain(token, text);
            var body = JsonDocument.Parse(text).RootElement;
            Assert.True(body.GetProperty("hasToken").GetBoolean());
            id = body.GetProperty("id").GetString()!;
        }

        var first = Enumerable.Range(0, 150).Select(i => Event(organization, i)).ToList();
        await PublishAsync(first);
        await WaitUntilAsync(() => Ids(receiver).IsSupersetOf(first.Select(e => e.Id)), "the first 150 entries at the collector");
        var sample = receiver.Events.First(e => e.GetProperty("event").GetProperty("eventId").GetString() == first[3].Id);
        Assert.Equal("platform-audit", sample.GetProperty("source").GetString());
        Assert.Equal("_json", sample.GetProperty("sourcetype").GetString());
        Assert.Equal(first[3].RequestId, sample.GetProperty("event").GetProperty("requestId").GetString());
        Assert.True(Math.Abs(sample.GetProperty("time").GetDouble() - first[3].OccurredAt.ToUnixTimeMilliseconds() / 1000.0) < 0.002);

        await receiver.StopAsync();
        var second = Enumerable.Range(150, 250).Select(i => Event(organization, i)).ToList();
        await PublishAsync(second);
        var failing = await WaitForStatusAsync(owner, id, s => s.GetProperty("failures").GetInt32() > 0 && s.GetProperty("lag").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("lastError").GetString()));
        Assert.DoesNotContain(token, failing.ToString());

        await receiver.StartAgainAsync();
        var all = first.Concat(second).Select(e => e.Id).ToList();
        await WaitUntilAsync(() => Ids(receiver).IsSupersetOf(all), "all 400 entries at the collector after its restart");
        var received = receiver.Events.Select(e => e.GetProperty("event")).Where(e => e.GetProperty("action").GetString() == "key.created").Select(e => e.GetProperty("eventId").GetString()!).ToList();
        Assert.Empty(received.Except(all));
        Assert.True(received.Count - all.Count <= 500, $"{received.Count - all.Count} duplicates");
        // In log order: each entry's first arrival comes after the one before it.
        var firstArrival = received.Distinct().ToList();
        Assert.Equal(all, firstArrival);
        var delivered = await WaitForStatusAsync(owner, id, s => s.GetProperty("lag").GetInt64() == 0);
        Assert.Equal(0, delivered.GetProperty("failures").GetInt32());

        // Sealed at rest: the row holds no trace of the token.
        await using var command = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT t::text FROM siem_destinations t WHERE id = $1");
        command.Parameters.Add(new() { Value = id });
        var row = (string)(await command.ExecuteScalarAsync())!;
        Assert.DoesNotContain(token, row);
        Assert.DoesNotContain(Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(token)), row);
        // Nor any log line of the service, across failures and deliveries (the failures were logged).
        Assert.True(CapturedLogs.Instance.Count > 0);
        Assert.False(CapturedLogs.Instance.Contains(token), "The HEC token reached a log line.");
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/audit/siem/destinations/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_shows_as_the_collectors_refusal_in_the_status_without_the_token()
    {
        await using var receiver = await HecReceiver.StartAsync($"hec-{Guid.NewGuid()}");
        var wrong = $"wrong-{Guid.NewGuid()}";
        var organization = $"org_hec_{run}";
        using var owner = fixture.UserClient(organization, "Owner");
        using var created = await owner.PostAsJsonAsync("/v1/audit/siem/destinations",
            new { kind = "splunk-hec", endpoint = $"127.0.0.1:{receiver.Port}", token = wrong, caCertificate = receiver.CaCertificatePem, start = "beginning" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        await PublishAsync([Event(organization, 0)]);
        var status = await WaitForStatusAsync(owner, id, s => s.GetProperty("failures").GetInt32() > 0);
        Assert.Contains("answered 403 (Invalid token)", status.GetProperty("lastError").GetString());
        Assert.DoesNotContain(wrong, status.ToString());
        Assert.True(CapturedLogs.Instance.Contains("answered 403"), "The failure was logged.");
        Assert.False(CapturedLogs.Instance.Contains(wrong), "The HEC token reached a log line.");
        Assert.Empty(receiver.Events);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/audit/siem/destinations/{id}")).StatusCode);
    }

    [Theory]
    [InlineData("splunk-hec", null)]
    [InlineData("splunk-hec", "")]
    [InlineData("splunk-hec", "has space")]
    [InlineData("syslog-tls", "a-token")]
    [InlineData("kafka", null)]
    public async Task A_destination_without_a_usable_token_or_of_an_unknown_kind_is_refused_and_nothing_is_stored(string kind, string? token)
    {
        var organization = $"org_hec_{run}";
        using var owner = fixture.UserClient(organization, "Owner");
        using var refused = await owner.PostAsJsonAsync("/v1/audit/siem/destinations", new { kind, endpoint = "hec.example.com:8088", token });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadAsStringAsync();
        Assert.Contains("https://platform.dev/problems/siem-destination-invalid", problem);
        if (token is { Length: > 0 }) Assert.DoesNotContain(token, problem);
        Assert.Empty((await owner.GetFromJsonAsync<JsonElement>("/v1/audit/siem/destinations")).GetProperty("items").EnumerateArray());
    }

    private static HashSet<string> Ids(HecReceiver receiver) => [.. receiver.Events.Select(e => e.GetProperty("event").GetProperty("eventId").GetString()!)];

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string id, Func<JsonElement, bool> condition)
    {
        JsonElement status = default;
        await WaitUntilAsync(async () =>
        {
            var items = (await client.GetFromJsonAsync<JsonElement>("/v1/audit/siem/destinations")).GetProperty("items");
            status = items.EnumerateArray().Single(d => d.GetProperty("id").GetString() == id).GetProperty("status");
            return condition(status);
        }, "a delivery status");
        return status;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"Waited 60 s for {what}.");
            await Task.Delay(100);
        }
    }

    private Task PublishAsync(IEnumerable<AuditRecorded> events) =>
        fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync([new AuditBatchRecorded { Events = [.. events] }], CancellationToken.None);

    private AuditRecorded Event(string organization, int i) => new()
    {
        OccurredAt = DateTimeOffset.UtcNow, OrganizationId = organization, Actor = $"usr_{run}", Action = "key.created", Target = "key_1",
        Outcome = "success", Ip = "198.51.100.20", RequestId = $"req_{run}_{i}",
    };
}
