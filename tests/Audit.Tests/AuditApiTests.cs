using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Audit.Events;
using Platform.Messaging;

namespace Platform.Audit.Tests;

[Collection(AuditServiceCollection.Name)]
public sealed class AuditApiTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    [Fact]
    public async Task An_event_delivered_twice_is_stored_once()
    {
        var @event = Event("org_a", actor: $"key_{run}", requestId: $"req_{run}_dup");
        // The marker goes last on the same queue: once it is stored, the second copy has been handled too (issue 13).
        await PublishAsync(@event, @event, Marker());

        await WaitForAsync($"requestId=req_{run}_marker", 1);
        var items = await ItemsAsync($"requestId=req_{run}_dup");
        Assert.Single(items);
        Assert.Equal(@event.Id, items[0].GetProperty("eventId").GetString());
        Assert.Equal("org_a", items[0].GetProperty("organizationId").GetString());
    }

    [Fact]
    public async Task Every_event_of_a_batch_is_stored_once_even_when_batches_overlap()
    {
        var events = Enumerable.Range(0, 300).Select(i => Event("org_a", actor: $"key_{run}", requestId: $"req_{run}_batch_{i}")).ToList();
        var first = new AuditBatchRecorded { Events = events[..200] };
        // Published again after a crash between publish and checkpoint, packed differently: the same events reappear.
        var second = new AuditBatchRecorded { Events = events[150..] };
        await fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync([first, second, new AuditBatchRecorded { Events = [Marker()] }], CancellationToken.None);

        // The marker goes last on the same queue: once it is stored, both batches have been handled (issue 13).
        await WaitForAsync($"requestId=req_{run}_marker", 1);
        var stored = await ItemsAsync($"actor=key_{run}");
        Assert.Equal(300, stored.Count);
        Assert.Equal(events.Select(e => e.Id).Order(), stored.Select(i => i.GetProperty("eventId").GetString()).Order());
        Assert.All(stored, i => Assert.Equal("org_a", i.GetProperty("organizationId").GetString()));
    }

    [Fact]
    public async Task A_reader_token_relayed_by_the_gateway_is_refused_and_every_use_is_an_audited_operator_action()
    {
        using var client = Client(AuditServiceFixture.TenantToken);
        using var relayed = new HttpRequestMessage(HttpMethod.Get, "/v1/audit/events?organization=org_a");
        relayed.Headers.Add("X-Platform-Client-Address", "198.51.100.7");
        using (var refused = await client.SendAsync(relayed))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/unauthenticated", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        using (var direct = await client.GetAsync($"/v1/audit/events?organization=org_a&requestId=req_{run}_none"))
        {
            Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        }

        var refusals = await WaitForAsync("actor=operator:tenant-a&action=operator.credential-refused", 1);
        Assert.Equal("denied", refusals[0].GetProperty("outcome").GetString());
        // Other tests' refused uses of the same reader come first: wait for this one's successful use.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (!(await ItemsAsync("actor=operator:tenant-a&action=operator.request")).Any(u => u.GetProperty("outcome").GetString() == "succeeded"))
        {
            if (DateTimeOffset.UtcNow > deadline) Assert.Fail("The reader's successful use was not audited.");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Each_filter_narrows_the_result()
    {
        var actor = $"key_{run}";
        await PublishAsync(
            Event("org_a", actor, $"req_{run}_1", action: "key.revoked", target: "key_1", ip: "10.0.0.1"),
            Event("org_a", actor, $"req_{run}_2", action: "key.created", target: "key_2", ip: "2001:db8::2"),
            Event("org_b", actor, $"req_{run}_3", action: "key.created", target: "key_3", ip: "10.0.0.3"));
        await WaitForAsync($"actor={actor}", 3);

        Assert.Equal(2, (await ItemsAsync($"actor={actor}&action=key.created")).Count);
        Assert.Single(await ItemsAsync($"actor={actor}&target=key_1"));
        Assert.Single(await ItemsAsync($"actor={actor}&ip=2001:db8::2"));
        Assert.Equal(2, (await ItemsAsync($"actor={actor}&organization=org_a")).Count);
        Assert.Single(await ItemsAsync($"requestId=req_{run}_3"));
        Assert.Empty(await ItemsAsync($"actor={actor}&to=2000-01-01T00:00:00Z"));
        Assert.Equal(3, (await ItemsAsync($"actor={actor}&from=2000-01-01T00:00:00Z")).Count);
    }

    [Fact]
    public async Task Pages_follow_the_cursor_newest_first_without_gaps_or_repeats()
    {
        var actor = $"pager_{run}";
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var events = Enumerable.Range(0, 25).Select(i => Event("org_a", actor, $"req_{run}_{i}") with { OccurredAt = start.AddSeconds(i) }).ToArray();
        await PublishAsync(events);
        await WaitForAsync($"actor={actor}", 25);

        using var client = Client(AuditServiceFixture.OperatorToken);
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/events?actor={actor}&limit=10" + (cursor is null ? "" : $"&cursor={cursor}"));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("eventId").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(events.Reverse().Select(e => e.Id), seen);
    }

    [Fact]
    public async Task A_reader_of_one_organization_sees_only_that_organization()
    {
        var actor = $"tenant_{run}";
        await PublishAsync(Event("org_a", actor, $"req_{run}_a"), Event("org_b", actor, $"req_{run}_b"));
        await WaitForAsync($"actor={actor}", 2);

        using var tenant = Client(AuditServiceFixture.TenantToken);
        var own = await tenant.GetFromJsonAsync<JsonElement>($"/v1/audit/events?organization=org_a&actor={actor}");
        Assert.Equal("org_a", own.GetProperty("items").EnumerateArray().Single().GetProperty("organizationId").GetString());

        using var other = await tenant.GetAsync($"/v1/audit/events?organization=org_b&actor={actor}");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        using var unscoped = await tenant.GetAsync($"/v1/audit/events?actor={actor}");
        Assert.Equal(HttpStatusCode.Forbidden, unscoped.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789-0123456789-abcdef")]
    [InlineData("Basic b3BlcmF0b3I6cGFzcw==")]
    public async Task Without_a_valid_reader_credential_the_answer_is_401(string? authorization)
    {
        using var client = fixture.Service.CreateClient();
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        using var response = await client.GetAsync("/v1/audit/events");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    private AuditRecorded Event(string organization, string actor, string requestId, string action = "http.request", string? target = "/v1/x", string? ip = "127.0.0.1") => new()
    {
        OccurredAt = DateTimeOffset.UtcNow,
        OrganizationId = organization,
        Actor = actor,
        Action = action,
        Target = target,
        Outcome = "success",
        Ip = ip,
        RequestId = requestId,
        UserAgent = "tests",
        Details = new Dictionary<string, string> { ["status"] = "200" },
    };

    /// <summary>An event published after the ones under test, whose arrival shows they were all handled.</summary>
    private AuditRecorded Marker() => Event("org_marker", actor: $"key_{run}_marker", requestId: $"req_{run}_marker");

    private async Task PublishAsync(params IntegrationEvent[] events) =>
        await fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync(events, CancellationToken.None);

    private async Task<List<JsonElement>> WaitForAsync(string query, int count)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        List<JsonElement> items;
        do
        {
            items = await ItemsAsync(query);
            if (items.Count >= count) return items;
            await Task.Delay(200);
        }
        while (DateTimeOffset.UtcNow < deadline);
        Assert.Fail($"Only {items.Count} of {count} entries for '{query}' arrived.");
        return items;
    }

    private async Task<List<JsonElement>> ItemsAsync(string query)
    {
        using var client = Client(AuditServiceFixture.OperatorToken);
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/events?{query}&limit=500");
        return page.GetProperty("items").EnumerateArray().ToList();
    }

    private HttpClient Client(string token)
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
