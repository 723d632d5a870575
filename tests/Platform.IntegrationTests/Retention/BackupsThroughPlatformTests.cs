using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// Issue 16 item 3 as the AppHost runs it: retention backs up every database and every region's blob root of the
/// running platform, with the backup operator the AppHost generates, on retention's own endpoint only.
/// </summary>
[Collection(Collections.Retention)]
public sealed class BackupsThroughPlatformTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Fact]
    public async Task The_backup_operator_backs_up_every_database_and_blob_root_and_the_set_verifies()
    {
        // An object in the EU region's blob root, so that the set must hold that region's blobs to be whole.
        var organization = $"org_{Guid.NewGuid():n}";
        var key = (await fixture.App.CreateApiKeyAsync(organization, "full")).GetProperty("key").GetString()!;
        using var customer = fixture.App.CreateHttpClient("gateway");
        customer.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        using var create = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{organization}/datasets") { Content = JsonContent.Create(new { name = "backed-up" }) };
        create.Headers.TryAddWithoutValidation("Platform-Region", "eu");
        using (var created = await customer.SendAsync(create))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            var dataset = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
            using var put = await customer.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/a.bin?dataClass=artifact", new ByteArrayContent(RandomNumberGenerator.GetBytes(4096)));
            Assert.True(put.IsSuccessStatusCode, $"upload: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        using var backups = BackupOperator();
        using var taken = await backups.PostAsync("/v1/retention/backups", null);
        Assert.True(taken.StatusCode == HttpStatusCode.Created, $"backup: {(int)taken.StatusCode} {await taken.Content.ReadAsStringAsync()}");
        var manifest = await taken.Content.ReadFromJsonAsync<JsonElement>();
        var id = manifest.GetProperty("id").GetString()!;
        Assert.Equal(
            ["auditdb", "identitydb", "keysdb", "residencydb", "retentiondb", "storageeudb", "storageusdb"],
            manifest.GetProperty("databases").EnumerateArray().Select(d => d.GetProperty("name").GetString()!).Order(StringComparer.Ordinal));
        var roots = manifest.GetProperty("blobRoots").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r);
        Assert.Equal(["storage-eu", "storage-us"], roots.Keys.Order(StringComparer.Ordinal));
        Assert.NotEmpty(roots["storage-eu"].GetProperty("blobs").EnumerateArray());

        using var verified = await backups.PostAsync($"/v1/retention/backups/{id}/verify", null);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.True((await verified.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verified").GetBoolean());

        var listed = await backups.GetFromJsonAsync<JsonElement>("/v1/retention/backups");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetString() == id && i.GetProperty("problem").ValueKind == JsonValueKind.Null);
        var entry = await fixture.App.AuditEntryAsync($"action=backup.created&target={id}");
        Assert.Equal("operator:backup-operator", entry.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Backups_are_reached_by_their_operator_on_retention_alone_not_through_the_gateway_nor_by_an_owner_or_the_plan_operator()
    {
        // The backup operator's token at the public gateway: no route to backups, and not a credential it accepts.
        using (var throughGateway = fixture.App.OperatorThroughGateway("backup-operator-token"))
        using (var refused = await throughGateway.PostAsync("/v1/retention/backups", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // An Owner with a fresh second factor, through the gateway and straight at retention.
        var owner = await RetentionOrganization.CreateAsync(fixture);
        using (var api = owner.Api())
        using (var refused = await api.PostAsync("/v1/retention/backups", null))
        {
            Assert.NotEqual(HttpStatusCode.Created, refused.StatusCode);
            Assert.False(refused.IsSuccessStatusCode);
        }

        using (var direct = fixture.App.CreateHttpClient("retention", "http"))
        {
            direct.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", owner.OwnerToken);
            using var refused = await direct.PostAsync("/v1/retention/backups", null);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal(Problems + "unauthenticated", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        // The plan operator is an operator of retention, but not of its backups.
        using (var plans = fixture.App.RetentionOperator())
        using (var refused = await plans.GetAsync("/v1/retention/backups"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
    }

    private HttpClient BackupOperator()
    {
        var client = fixture.App.CreateHttpClient("retention", "http");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fixture.App.GetParameterValue("backup-operator-token"));
        // pg_dump of seven databases and two blob roots on a busy machine.
        client.Timeout = TimeSpan.FromMinutes(2);
        return client;
    }
}
