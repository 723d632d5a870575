using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

[Collection(KeysServiceCollection.Name)]
public sealed class KeyRotationTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task The_old_key_works_during_the_overlap_and_not_after_while_the_new_one_works_throughout()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var old = await client.CreateKeyAsync(organization, Body(extra: new { allowedCidrs = new[] { "192.0.2.0/24" }, rateLimitPerMinute = 77 }));

        var successor = await client.RotateAsync(organization, old.Id(), overlapSeconds: 3600);

        Assert.NotEqual(old.Secret(), successor.Secret());
        Assert.Equal(old.Id(), successor.GetProperty("rotatedFrom").GetString());
        Assert.Equal(old.GetProperty("scopes").ToString(), successor.GetProperty("scopes").ToString());
        Assert.Equal(old.GetProperty("allowedCidrs").ToString(), successor.GetProperty("allowedCidrs").ToString());
        Assert.Equal(77, successor.GetProperty("rateLimitPerMinute").GetInt32());
        var oldNow = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys/{old.Id()}");
        Assert.Equal(successor.Id(), oldNow.GetProperty("rotatedTo").GetString());

        Assert.Null(await fixture.RejectionAsync(old.Secret()));
        Assert.Null(await fixture.RejectionAsync(successor.Secret()));
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(3599));
        Assert.Null(await fixture.RejectionAsync(old.Secret()));
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal("expired", await fixture.RejectionAsync(old.Secret()));
        Assert.Null(await fixture.RejectionAsync(successor.Secret()));
    }

    [Fact]
    public async Task Keys_can_be_rotated_every_hour_with_a_day_of_overlap()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var generations = new List<JsonElement> { await client.CreateKeyAsync(organization) };
        for (var hour = 0; hour < 3; hour++)
        {
            generations.Add(await client.RotateAsync(organization, generations[^1].Id(), overlapSeconds: 86_400));
            await fixture.AdvanceAsync(TimeSpan.FromHours(1));
        }

        // Every generation still works: the oldest has 21 hours of its overlap left.
        foreach (var generation in generations) Assert.Null(await fixture.RejectionAsync(generation.Secret()));

        await fixture.AdvanceAsync(TimeSpan.FromHours(21) + TimeSpan.FromSeconds(1));
        Assert.Equal("expired", await fixture.RejectionAsync(generations[0].Secret()));
        Assert.Null(await fixture.RejectionAsync(generations[1].Secret()));
        Assert.Null(await fixture.RejectionAsync(generations[^1].Secret()));
    }

    [Fact]
    public async Task Without_a_body_the_overlap_is_one_day_and_zero_ends_the_old_key_at_once()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var first = await client.CreateKeyAsync(organization);
        var second = await client.RotateAsync(organization, first.Id(), overlapSeconds: null);
        var old = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys/{first.Id()}");
        Assert.Equal(
            fixture.Clock.GetUtcNow().AddDays(1).UtcDateTime,
            old.GetProperty("expiresAt").GetDateTimeOffset().UtcDateTime,
            TimeSpan.FromMilliseconds(1));

        await client.RotateAsync(organization, second.Id(), overlapSeconds: 0);
        Assert.Equal("expired", await fixture.RejectionAsync(second.Secret()));
    }

    [Theory]
    [InlineData("""{"overlapSeconds":-1}""")]
    [InlineData("""{"overlapSeconds":604801}""")]
    [InlineData("""{"overlapSeconds":"1h"}""")]
    [InlineData("""{"overlapSeconds":1.5}""")]
    [InlineData("""{"overlap":3600}""")]
    public async Task An_overlap_outside_zero_to_seven_days_is_a_400_and_nothing_changes(string body)
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);

        using var response = await client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/rotate", Raw(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        var only = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, only.GetProperty("rotatedTo").ValueKind);
        Assert.Equal(JsonValueKind.Null, only.GetProperty("expiresAt").ValueKind);
        Assert.Null(await fixture.RejectionAsync(key.Secret()));
    }

    [Fact]
    public async Task Two_concurrent_rotations_of_one_key_issue_one_successor()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);

        var responses = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ =>
            client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/rotate", Json(new { overlapSeconds = 60 }))));

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], responses.Select(r => r.StatusCode).Order());
        Assert.Equal(2, (await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys")).GetProperty("items").GetArrayLength());
        foreach (var response in responses) response.Dispose();
    }

    [Fact]
    public async Task A_rotated_revoked_or_expired_key_cannot_be_rotated()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var rotated = await client.CreateKeyAsync(organization);
        await client.RotateAsync(organization, rotated.Id(), overlapSeconds: 60);
        var revoked = await client.CreateKeyAsync(organization);
        (await client.PostAsync($"/v1/organizations/{organization}/keys/{revoked.Id()}/revoke", null)).Dispose();
        var expiring = await client.CreateKeyAsync(organization, Body(extra: new { expiresAt = fixture.Clock.GetUtcNow().AddMinutes(5) }));
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(6));

        foreach (var key in new[] { rotated, revoked, expiring })
        {
            using var response = await client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/rotate", Json(new { overlapSeconds = 0 }));
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            Assert.Equal("https://platform.dev/problems/key-state-conflict", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        Assert.Equal(4, (await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys")).GetProperty("items").GetArrayLength());
    }
}
