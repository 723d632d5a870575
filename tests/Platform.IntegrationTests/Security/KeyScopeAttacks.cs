using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 4 (key scopes that are not enforced), attacked through the gateway over HTTPS as a client would,
/// with fresh organizations and keys each time: an <c>sk_test_</c> key on live data and back, a <c>read_only</c> key
/// writing, a <c>labeler_only</c> key replacing model weights or deleting images, a key of organization A on B's
/// datasets. Each refusal must change nothing and be filed in the audit trail under the key that tried, with the
/// client's address. Keys are issued and the audit log is read on the services' own (internal) endpoints: operator
/// credentials never work through the gateway (contract item 3).
/// </summary>
[Collection(Collections.Platform)]
public sealed class KeyScopeAttacks(PlatformFixture fixture)
{
    private const string InsufficientScope = "https://platform.dev/problems/insufficient-scope";
    private readonly TestingApplication app = fixture.App;
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task A_test_key_can_neither_see_nor_change_live_data()
    {
        using var live = await ClientWithKeyAsync("full", "live");
        var dataset = await CreateDatasetAsync(live);
        await PutAsync(live, dataset, "model/weights.bin", [1, 2, 3], "model_weights");
        using var test = await ClientWithKeyAsync("full", "test");

        await AssertAbsentAsync(await test.GetAsync(DatasetPath(dataset)));
        await AssertAbsentAsync(await test.GetAsync($"{DatasetPath(dataset)}/objects"));
        await AssertAbsentAsync(await test.GetAsync(ObjectPath(dataset, "model/weights.bin")));
        await AssertAbsentAsync(await test.PutAsync($"{ObjectPath(dataset, "model/weights.bin")}?dataClass=model_weights", new ByteArrayContent([6, 6, 6])));
        await AssertAbsentAsync(await test.DeleteAsync(ObjectPath(dataset, "model/weights.bin")));
        await AssertAbsentAsync(await test.DeleteAsync(DatasetPath(dataset)));
        var listed = await test.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/datasets");
        Assert.DoesNotContain(listed.GetProperty("items").EnumerateArray(), d => d.GetProperty("id").GetString() == dataset);

        Assert.Equal([1, 2, 3], await live.GetByteArrayAsync(ObjectPath(dataset, "model/weights.bin")));
    }

    [Fact]
    public async Task A_live_key_can_neither_see_nor_change_test_data()
    {
        using var test = await ClientWithKeyAsync("full", "test");
        var dataset = await CreateDatasetAsync(test);
        await PutAsync(test, dataset, "img/cat.png", [4, 2], "image");
        using var live = await ClientWithKeyAsync("full", "live");

        await AssertAbsentAsync(await live.GetAsync(ObjectPath(dataset, "img/cat.png")));
        await AssertAbsentAsync(await live.DeleteAsync(ObjectPath(dataset, "img/cat.png")));
        await AssertAbsentAsync(await live.DeleteAsync(DatasetPath(dataset)));

        Assert.Equal([4, 2], await test.GetByteArrayAsync(ObjectPath(dataset, "img/cat.png")));
    }

    [Fact]
    public async Task A_read_only_key_changes_nothing_and_every_attempt_is_audited_under_the_key()
    {
        using var full = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(full);
        await PutAsync(full, dataset, "img/cat.png", [9], "image");
        var (reader, keyId) = await ClientAndIdAsync("read_only");
        using var _ = reader;

        await AssertRefusedAsync(await reader.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "planted" }));
        await AssertRefusedAsync(await reader.PutAsync($"{ObjectPath(dataset, "img/cat.png")}?dataClass=image", new ByteArrayContent([0])));
        await AssertRefusedAsync(await reader.DeleteAsync(ObjectPath(dataset, "img/cat.png")));
        await AssertRefusedAsync(await reader.DeleteAsync(DatasetPath(dataset)));

        Assert.Equal([9], await full.GetByteArrayAsync(ObjectPath(dataset, "img/cat.png")));
        var datasets = await full.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/datasets");
        Assert.Equal(1, datasets.GetProperty("items").GetArrayLength());
        await AssertAuditedAsync(keyId);
    }

    [Fact]
    public async Task A_labeler_cannot_replace_model_weights_by_uploading_the_same_name_as_an_annotation()
    {
        using var full = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(full);
        await PutAsync(full, dataset, "model/weights.bin", [7, 7, 7], "model_weights");
        var (labeler, keyId) = await ClientAndIdAsync("labeler_only");
        using var _ = labeler;

        await AssertRefusedAsync(await labeler.PutAsync($"{ObjectPath(dataset, "model/weights.bin")}?dataClass=annotation", new ByteArrayContent([0])));

        Assert.Equal([7, 7, 7], await full.GetByteArrayAsync(ObjectPath(dataset, "model/weights.bin")));
        var objects = await full.GetFromJsonAsync<JsonElement>($"{DatasetPath(dataset)}/objects");
        Assert.Equal("model_weights", Assert.Single(objects.GetProperty("items").EnumerateArray()).GetProperty("dataClass").GetString());
        await AssertAuditedAsync(keyId);
    }

    [Fact]
    public async Task A_labeler_cannot_delete_an_image_and_the_attempt_is_audited_under_the_key()
    {
        using var full = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(full);
        await PutAsync(full, dataset, "img/cat.png", [5], "image");
        var (labeler, keyId) = await ClientAndIdAsync("labeler_only");
        using var _ = labeler;

        await AssertRefusedAsync(await labeler.DeleteAsync(ObjectPath(dataset, "img/cat.png")));
        // What a labeler is for still works: its own annotations.
        await PutAsync(labeler, dataset, "labels/cat.json", [1], "annotation");

        Assert.Equal([5], await full.GetByteArrayAsync(ObjectPath(dataset, "img/cat.png")));
        await AssertAuditedAsync(keyId);
    }

    [Fact]
    public async Task A_key_of_another_organization_gets_nothing_of_its_datasets_and_the_attempt_is_audited_under_that_key()
    {
        using var victim = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(victim);
        await PutAsync(victim, dataset, "img/cat.png", [3], "image");
        var attackerOrganization = $"org_{Guid.NewGuid():n}";
        var (attacker, keyId) = await ClientAndIdAsync("full", owner: attackerOrganization);
        using var _ = attacker;

        using (var read = await attacker.GetAsync(ObjectPath(dataset, "img/cat.png"))) Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        using (var delete = await attacker.DeleteAsync(DatasetPath(dataset))) Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        // Through its own organization's path the dataset id leads nowhere either.
        await AssertAbsentAsync(await attacker.GetAsync($"/v1/organizations/{attackerOrganization}/datasets/{dataset}/objects/img/cat.png"));

        Assert.Equal([3], await victim.GetByteArrayAsync(ObjectPath(dataset, "img/cat.png")));
        await AssertAuditedAsync(keyId);
    }

    [Fact]
    public async Task A_restricted_key_sees_lists_and_metadata_but_never_contents_and_changes_nothing()
    {
        using var full = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(full);
        await PutAsync(full, dataset, "img/cat.png", [7, 7], "image");
        var (restricted, keyId) = await ClientAndIdAsync("restricted");
        using var _ = restricted;

        Assert.Equal(HttpStatusCode.OK, (await restricted.GetAsync($"{DatasetPath(dataset)}/objects")).StatusCode);
        using (var head = await restricted.SendAsync(new HttpRequestMessage(HttpMethod.Head, DatasetPath(dataset))))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        await AssertRefusedAsync(await restricted.GetAsync(ObjectPath(dataset, "img/cat.png")));
        await AssertRefusedAsync(await restricted.PutAsync($"{ObjectPath(dataset, "img/dog.png")}?dataClass=image", new ByteArrayContent([1])));
        await AssertRefusedAsync(await restricted.DeleteAsync(ObjectPath(dataset, "img/cat.png")));

        Assert.Equal([7, 7], await full.GetByteArrayAsync(ObjectPath(dataset, "img/cat.png")));
        var objects = await full.GetFromJsonAsync<JsonElement>($"{DatasetPath(dataset)}/objects");
        Assert.Equal(1, objects.GetProperty("items").GetArrayLength());
        await AssertAuditedAsync(keyId);
    }

    private string DatasetPath(string dataset) => $"/v1/organizations/{organization}/datasets/{dataset}";

    private string ObjectPath(string dataset, string name) => $"{DatasetPath(dataset)}/objects/{name}";

    private async Task<string> CreateDatasetAsync(HttpClient client)
    {
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "attacked" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task PutAsync(HttpClient client, string dataset, string name, byte[] bytes, string dataClass)
    {
        using var put = await client.PutAsync($"{ObjectPath(dataset, name)}?dataClass={dataClass}", new ByteArrayContent(bytes));
        Assert.True(put.StatusCode == HttpStatusCode.Created, $"upload: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
    }

    private async Task<HttpClient> ClientWithKeyAsync(string level, string environment = "live") => (await ClientAndIdAsync(level, environment)).Client;

    /// <summary>A gateway client holding a fresh key, issued on the keys service's own endpoint by its administrator.</summary>
    private async Task<(HttpClient Client, string KeyId)> ClientAndIdAsync(string level, string environment = "live", string? owner = null)
    {
        using var keys = app.CreateHttpClient("keys", "http");
        keys.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("keys-admin-token"));
        using var created = await keys.PostAsJsonAsync($"/v1/organizations/{owner ?? organization}/keys", new
        {
            name = "attack",
            environment,
            scopes = new[] { new { permission = "dataset", level } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var client = app.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", body.GetProperty("key").GetString());
        return (client, body.GetProperty("id").GetString()!);
    }

    private static async Task AssertAbsentAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"Expected 404, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"Expected 403, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            Assert.Equal(InsufficientScope, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }
    }

    /// <summary>A <c>request.refused</c> entry for the victim organization naming the key and the client's (loopback) address.</summary>
    private async Task AssertAuditedAsync(string keyId)
    {
        using var reader = app.CreateHttpClient("audit", "http");
        reader.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("audit-reader-token"));
        var since = Stopwatch.StartNew();
        while (since.Elapsed < TimeSpan.FromSeconds(30))
        {
            var page = await reader.GetFromJsonAsync<JsonElement>($"/v1/audit/events?organization={organization}&actor={keyId}&action=request.refused");
            if (page.GetProperty("items").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } entry)
            {
                Assert.Equal("denied", entry.GetProperty("outcome").GetString());
                Assert.True(IPAddress.IsLoopback(IPAddress.Parse(entry.GetProperty("ip").GetString()!)), "The refusal names the client's address.");
                return;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"No audited refusal of {keyId} on {organization}.");
    }
}
