using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// What someone with an organization of their own, a valid token and a browser tries against another organization's
/// retention: read or change its policies, hold (and so learn of) its datasets and people, release its holds, reach
/// the operator's plan endpoint. Through the gateway over HTTPS.
/// </summary>
[Collection(Collections.Retention)]
public sealed class RetentionAttacks(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Fact]
    public async Task An_owner_of_another_organization_can_neither_see_nor_change_nor_hold_nor_release_anything_of_the_victims()
    {
        var victim = await RetentionOrganization.CreateAsync(fixture);
        var attacker = await RetentionOrganization.CreateAsync(fixture);
        var victimDataset = await victim.DatasetAsync();
        using var victimApi = victim.Api();
        using (var change = await victimApi.PutAsJsonAsync("/v1/retention/policies/heatmap", new { days = 3 })) Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        string victimHold;
        using (var hold = await victimApi.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "heatmap", reason = "Victim's own case" }))
        {
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
            victimHold = (await hold.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        using var api = attacker.Api();
        // The policies are the token's organization's: the attacker sees and changes their own, whatever they send.
        using (var forged = new HttpRequestMessage(HttpMethod.Get, $"/v1/retention/policies?organization={victim.Id}"))
        {
            forged.Headers.TryAddWithoutValidation("X-Platform-Organization", victim.Id);
            using var response = await api.SendAsync(forged);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(attacker.Id, body.GetProperty("organizationId").GetString());
            Assert.DoesNotContain(victim.Id, body.ToString());
        }

        foreach (var body in new object[]
        {
            new { scope = "dataset", target = victimDataset, reason = "mine" },
            new { scope = "user", target = victim.OwnerUserId, reason = "mine" },
            new { scope = "organization", target = victim.Id, reason = "mine" },
        })
        {
            using var response = await api.PostAsJsonAsync("/v1/retention/holds", body);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal(Problems + "hold-target-not-found", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        using (var release = await api.PostAsJsonAsync($"/v1/retention/holds/{victimHold}/release", new { reason = "mine" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, release.StatusCode);
        }

        using (var plan = await api.PutAsJsonAsync($"/v1/retention/organizations/{victim.Id}/plan", new { plan = "self-service" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, plan.StatusCode);
        }

        // The retention operator's credential is refused at the public edge.
        using (var operatorThroughGateway = fixture.App.OperatorThroughGateway("retention-operator-token"))
        using (var response = await operatorThroughGateway.GetAsync("/v1/retention/policies"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Nothing of the victim's changed, and the attacker holds nothing.
        var victimPolicies = await victimApi.GetFromJsonAsync<JsonElement>("/v1/retention/policies");
        Assert.Equal(3, victimPolicies.GetProperty("items").EnumerateArray().Single(p => p.GetProperty("dataClass").GetString() == "heatmap").GetProperty("days").GetInt32());
        var victimHolds = await victimApi.GetFromJsonAsync<JsonElement>("/v1/retention/holds");
        Assert.Equal("active", Assert.Single(victimHolds.GetProperty("items").EnumerateArray()).GetProperty("status").GetString());
        var attackerHolds = await api.GetFromJsonAsync<JsonElement>("/v1/retention/holds?status=all");
        Assert.Empty(attackerHolds.GetProperty("items").EnumerateArray());

        // Each refusal is on the attacker's audit trail, under the attacker's name.
        var refusal = await fixture.App.AuditEntryAsync($"organization={attacker.Id}&action=request.refused");
        Assert.Equal(attacker.OwnerUserId, refusal.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task A_purge_request_naming_another_organizations_object_is_refused_by_storage_and_deletes_nothing()
    {
        // Whoever can put a message on the bus (a compromised service) asks storage, as the attacker's organization,
        // to delete the victim's object.
        var victim = await RetentionOrganization.CreateAsync(fixture);
        var attacker = await RetentionOrganization.CreateAsync(fixture);
        var key = (await fixture.App.CreateApiKeyAsync(victim.Id, "full")).GetProperty("key").GetString()!;
        using var data = fixture.App.CreateHttpClient("gateway");
        data.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        string dataset, objectId;
        using (var created = await data.PostAsJsonAsync($"/v1/organizations/{victim.Id}/datasets", new { name = "victim" }))
        {
            dataset = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        var path = $"/v1/organizations/{victim.Id}/datasets/{dataset}/objects/results/secret.json";
        using (var put = await data.PutAsync($"{path}?dataClass=detection_result", new ByteArrayContent([1, 2, 3])))
        {
            Assert.True(put.IsSuccessStatusCode);
            objectId = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        await using var tap = await Platform.Hosting.Testing.EventTap.StartAsync(fixture.App.GetConnectionString("messaging"), "purge.completed");
        var purgeId = $"purge_{Guid.NewGuid():n}";
        var eventId = $"evt_{Guid.NewGuid():n}";
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = eventId, occurredAt = DateTimeOffset.UtcNow, organizationId = attacker.Id, purgeId, owner = "storage",
            items = new[] { new { itemId = objectId, dataClass = "detection_result", expiredAt = DateTimeOffset.UtcNow, policy = "forged" } },
        });
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(fixture.App.GetConnectionString("messaging")) };
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.BasicPublishAsync("platform.events", "purge.requested", mandatory: false,
                new RabbitMQ.Client.BasicProperties { MessageId = eventId, Type = "purge.requested", ContentType = "application/json", DeliveryMode = RabbitMQ.Client.DeliveryModes.Persistent },
                body);
        }

        var answer = await tap.WaitForAsync("purge.completed", e => e.GetProperty("purgeId").GetString() == purgeId);
        Assert.Equal(attacker.Id, answer.GetProperty("organizationId").GetString());
        var outcome = Assert.Single(answer.GetProperty("items").EnumerateArray());
        Assert.Equal("refused", outcome.GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, (await data.GetAsync(path)).StatusCode);
        using var receipts = attacker.Api();
        Assert.Empty((await receipts.GetFromJsonAsync<JsonElement>("/v1/retention/receipts")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task The_retention_service_past_the_gateway_takes_no_forged_gateway_headers()
    {
        var victim = await RetentionOrganization.CreateAsync(fixture);
        using var direct = fixture.App.CreateHttpClient("retention", "http");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/retention/policies");
        request.Headers.TryAddWithoutValidation("X-Platform-User", victim.OwnerUserId);
        request.Headers.TryAddWithoutValidation("X-Platform-Organization", victim.Id);
        request.Headers.TryAddWithoutValidation("X-Platform-Roles", "Owner");
        using var response = await direct.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);

        direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token-at-all-but-long-enough-0123456789");
        using var bogus = await direct.GetAsync("/v1/retention/policies");
        Assert.Equal(HttpStatusCode.Unauthorized, bogus.StatusCode);
    }
}
