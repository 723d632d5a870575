using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Platform.Keys.Tests.Infrastructure;
using StackExchange.Redis;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

[Collection(KeysServiceCollection.Name)]
public sealed class KeyEventTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task A_revoked_key_is_announced_to_every_gateway_within_one_second()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);
        var announced = Channel.CreateUnbounded<string>();
        var subscriber = fixture.Redis.GetSubscriber();
        var channel = RedisChannel.Literal("platform:keys:invalidated");
        await subscriber.SubscribeAsync(channel, (_, message) => announced.Writer.TryWrite(message!));
        try
        {
            var clock = Stopwatch.StartNew();
            (await client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/revoke", null)).Dispose();
            Assert.Equal(key.Id(), await NextAsync(announced, key.Id(), TimeSpan.FromSeconds(1)));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"Took {clock.Elapsed}.");

            // Rotation (the old key's expiry moved) and updates are announced too.
            var other = await client.CreateKeyAsync(organization);
            await client.RotateAsync(organization, other.Id(), overlapSeconds: 60);
            Assert.Equal(other.Id(), await NextAsync(announced, other.Id(), TimeSpan.FromSeconds(1)));
            var third = await client.CreateKeyAsync(organization);
            (await client.PatchAsync($"/v1/organizations/{organization}/keys/{third.Id()}", Json(new { rateLimitPerMinute = 5 }))).Dispose();
            Assert.Equal(third.Id(), await NextAsync(announced, third.Id(), TimeSpan.FromSeconds(1)));
        }
        finally
        {
            await subscriber.UnsubscribeAsync(channel);
        }
    }

    [Fact]
    public async Task Every_change_reaches_rabbitmq_as_a_key_event_and_an_audit_entry()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var requestId = $"req_{Guid.NewGuid():N}";
        client.DefaultRequestHeaders.Add("X-Request-Id", requestId);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("keys-tests/1.0");

        var key = await client.CreateKeyAsync(organization);
        (await client.PatchAsync($"/v1/organizations/{organization}/keys/{key.Id()}", Json(new { name = "renamed" }))).Dispose();
        var successor = await client.RotateAsync(organization, key.Id(), overlapSeconds: 600);
        (await client.PostAsync($"/v1/organizations/{organization}/keys/{successor.Id()}/revoke", null)).Dispose();

        var created = await fixture.Events.WaitForAsync("key.created", e => Text(e, "keyId") == key.Id());
        Assert.Equal(organization, Text(created, "organizationId"));
        Assert.Equal(key.GetProperty("displayPrefix").GetString(), Text(created, "displayPrefix"));
        Assert.StartsWith("evt_", Text(created, "id"), StringComparison.Ordinal);
        var updated = await fixture.Events.WaitForAsync("key.updated", e => Text(e, "keyId") == key.Id());
        Assert.Equal(["name"], updated.GetProperty("changed").EnumerateArray().Select(c => c.GetString()));
        await fixture.Events.WaitForAsync("key.created", e => Text(e, "keyId") == successor.Id() && Text(e, "rotatedFrom") == key.Id());
        await fixture.Events.WaitForAsync("key.rotated", e => Text(e, "keyId") == key.Id() && Text(e, "newKeyId") == successor.Id());
        await fixture.Events.WaitForAsync("key.revoked", e => Text(e, "keyId") == successor.Id());

        foreach (var (action, target) in new[] { ("key.created", key.Id()), ("key.updated", key.Id()), ("key.rotated", key.Id()), ("key.revoked", successor.Id()) })
        {
            var audit = await fixture.Events.WaitForAsync("audit.recorded", e => Text(e, "action") == action && Text(e, "target") == target);
            Assert.Equal("operator:root", Text(audit, "actor"));
            Assert.Equal(organization, Text(audit, "organizationId"));
            Assert.Equal("success", Text(audit, "outcome"));
            Assert.Equal(requestId, Text(audit, "requestId"));
            Assert.Equal("keys-tests/1.0", Text(audit, "userAgent"));
        }

        // Neither secret went out in any event.
        Assert.All(fixture.Events.All, e =>
        {
            Assert.DoesNotContain(key.Secret()[8..40], e.Body, StringComparison.Ordinal);
            Assert.DoesNotContain(successor.Secret()[8..40], e.Body, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_refused_change_emits_nothing()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);
        await fixture.Events.WaitForAsync("key.created", e => Text(e, "keyId") == key.Id());

        (await client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/rotate", Json(new { overlapSeconds = 999_999 }))).Dispose();
        (await client.PatchAsync($"/v1/organizations/{organization}/keys/{key.Id()}", Json(new { scopes = Array.Empty<object>() }))).Dispose();
        (await client.PostAsync($"/v1/organizations/{NewOrganization()}/keys/{key.Id()}/revoke", null)).Dispose();
        // A no-op patch is not a change either.
        (await client.PatchAsync($"/v1/organizations/{organization}/keys/{key.Id()}", Json(new { name = "ci deploy" }))).Dispose();

        // A change made after the refused ones goes through the same outbox, in order: once its event is here,
        // anything the refused requests had emitted would be here too (issue 13: no sleeping).
        var marker = await client.CreateKeyAsync(NewOrganization());
        await fixture.Events.WaitForAsync("key.created", e => Text(e, "keyId") == marker.Id());

        // The operator's uses are audited (operator.request, naming the path); no change to the key is.
        Assert.DoesNotContain(fixture.Events.All, e => e.RoutingKey != "key.created" && e.Body.Contains(key.Id(), StringComparison.Ordinal)
            && !(e.RoutingKey == "audit.recorded" && (e.Body.Contains("\"key.created\"", StringComparison.Ordinal) || e.Body.Contains("\"operator.request\"", StringComparison.Ordinal))));
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<string> NextAsync(Channel<string> messages, string expected, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            while (true)
            {
                var message = await messages.Reader.ReadAsync(timeout.Token);
                if (message == expected) return message;
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No invalidation of {expected} within {within}.");
            return "";
        }
    }
}
