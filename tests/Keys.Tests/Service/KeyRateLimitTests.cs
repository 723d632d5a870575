using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

/// <summary>A key's own rate limit (SPEC GW-RATE): set, shown, verified, carried over, changed, refused.</summary>
[Collection(KeysServiceCollection.Name)]
public sealed class KeyRateLimitTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task A_rate_limit_given_at_creation_is_shown_everywhere_and_answered_to_the_gateway()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var created = await client.CreateKeyAsync(organization, Body(extra: new { rateLimit = new { requests = 1000, windowSeconds = 3600 } }));

        var one = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys/{created.Id()}");
        var listed = (await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys")).GetProperty("items")[0];
        var verified = await fixture.VerifyAsync(created.Secret());
        foreach (var representation in new[] { created, one, listed, verified })
        {
            Assert.Equal((1000, 3600), Limit(representation));
            // The older per-minute form cannot say "per hour": it is null rather than wrong.
            Assert.Equal(JsonValueKind.Null, representation.GetProperty("rateLimitPerMinute").ValueKind);
        }

        Assert.True(verified.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task A_key_without_an_override_has_a_null_rate_limit()
    {
        using var client = fixture.Client();
        var created = await client.CreateKeyAsync(NewOrganization());
        Assert.Equal(JsonValueKind.Null, created.GetProperty("rateLimit").ValueKind);
        var verified = await fixture.VerifyAsync(created.Secret());
        Assert.Equal(JsonValueKind.Null, verified.GetProperty("rateLimit").ValueKind);
        Assert.Equal(JsonValueKind.Null, verified.GetProperty("rateLimitPerMinute").ValueKind);
    }

    [Fact]
    public async Task The_older_per_minute_form_is_a_sixty_second_window()
    {
        using var client = fixture.Client();
        var created = await client.CreateKeyAsync(NewOrganization(), Body(extra: new { rateLimitPerMinute = 600 }));
        Assert.Equal((600, 60), Limit(created));
        var verified = await fixture.VerifyAsync(created.Secret());
        Assert.Equal((600, 60), Limit(verified));
        Assert.Equal(600, verified.GetProperty("rateLimitPerMinute").GetInt32());
    }

    [Fact]
    public async Task A_rotated_key_keeps_its_rate_limit()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var old = await client.CreateKeyAsync(organization, Body(extra: new { rateLimit = new { requests = 5, windowSeconds = 1 } }));

        var successor = await client.RotateAsync(organization, old.Id(), overlapSeconds: 60);

        Assert.Equal((5, 1), Limit(successor));
        Assert.Equal((5, 1), Limit(await fixture.VerifyAsync(successor.Secret())));
    }

    [Fact]
    public async Task A_patch_sets_changes_and_removes_the_rate_limit_and_the_gateway_sees_each_at_once()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);
        var path = $"/v1/organizations/{organization}/keys/{key.Id()}";

        using var set = await client.PatchAsync(path, Json(new { rateLimit = new { requests = 20, windowSeconds = 10 } }));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal((20, 10), Limit(await set.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Equal((20, 10), Limit(await fixture.VerifyAsync(key.Secret())));

        using var older = await client.PatchAsync(path, Json(new { rateLimitPerMinute = 90 }));
        Assert.Equal((90, 60), Limit(await older.Content.ReadFromJsonAsync<JsonElement>()));

        using var removed = await client.PatchAsync(path, Raw("""{"rateLimit":null}"""));
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await removed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rateLimit").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await fixture.VerifyAsync(key.Secret())).GetProperty("rateLimit").ValueKind);
    }

    [Theory]
    [InlineData("""{"rateLimit":{"requests":0,"windowSeconds":60}}""")]
    [InlineData("""{"rateLimit":{"requests":10,"windowSeconds":86401}}""")]
    [InlineData("""{"rateLimit":{"requests":10}}""")]
    [InlineData("""{"rateLimit":{"requests":"ten","windowSeconds":60}}""")]
    [InlineData("""{"rateLimit":[10,60]}""")]
    [InlineData("""{"rateLimit":{"requests":10,"windowSeconds":60},"rateLimitPerMinute":10}""")]
    [InlineData("""{"rateLimit":null,"rateLimitPerMinute":10}""")]
    [InlineData("""{"name":"renamed","rateLimit":{"requests":10,"windowSeconds":-1}}""")]
    public async Task An_invalid_rate_limit_patch_is_a_400_and_changes_nothing(string body)
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization, Body(extra: new { rateLimit = new { requests = 7, windowSeconds = 7 } }));
        var path = $"/v1/organizations/{organization}/keys/{key.Id()}";

        using var response = await client.PatchAsync(path, Raw(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/invalid-request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        var after = await client.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal((7, 7), Limit(after));
        Assert.Equal("ci deploy", after.GetProperty("name").GetString());
        Assert.Equal(key.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal((7, 7), Limit(await fixture.VerifyAsync(key.Secret())));
    }

    private static (int Requests, int WindowSeconds) Limit(JsonElement representation)
    {
        var limit = representation.GetProperty("rateLimit");
        Assert.Equal(JsonValueKind.Object, limit.ValueKind);
        return (limit.GetProperty("requests").GetInt32(), limit.GetProperty("windowSeconds").GetInt32());
    }
}
