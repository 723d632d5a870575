using System.Net;
using System.Net.Http.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// Contract item 4: a key sees only the datasets of its environment, and its level decides what the request may do,
/// whatever it calls the object. Every refusal is a 403 <c>insufficient-scope</c> and an audit event naming the key
/// and the client address the gateway saw, and changes nothing.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class KeyScopeTests(StorageServiceFixture fixture)
{
    private const string Problem = "https://platform.dev/problems/insufficient-scope";

    [Fact]
    public async Task A_test_key_sees_no_live_dataset_and_a_live_key_no_test_dataset()
    {
        var organization = StorageApi.NewOrganization();
        var live = fixture.Gateway(organization);
        var test = fixture.Gateway(organization, environment: "test");
        var liveDataset = await live.CreateDatasetAsync(organization, "production");
        await (await live.PutObjectAsync(organization, liveDataset, "weights.bin", [1, 2, 3], "model_weights")).JsonAsync(HttpStatusCode.Created);
        var testDataset = await test.CreateDatasetAsync(organization, "sandbox");
        Assert.Equal("test", (await (await test.GetAsync($"/v1/organizations/{organization}/datasets/{testDataset}")).JsonAsync()).GetProperty("environment").GetString());

        foreach (var (client, foreign) in new[] { (test, liveDataset), (live, testDataset) })
        {
            await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{foreign}")).ProblemAsync(HttpStatusCode.NotFound);
            await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{foreign}/objects")).ProblemAsync(HttpStatusCode.NotFound);
            await (await client.GetAsync(StorageApi.ObjectPath(organization, foreign, "weights.bin"))).ProblemAsync(HttpStatusCode.NotFound);
            await (await client.PutObjectAsync(organization, foreign, "weights.bin", [9], "model_weights")).ProblemAsync(HttpStatusCode.NotFound);
            await (await client.DeleteAsync(StorageApi.ObjectPath(organization, foreign, "weights.bin"))).ProblemAsync(HttpStatusCode.NotFound);
            await (await client.DeleteAsync($"/v1/organizations/{organization}/datasets/{foreign}")).ProblemAsync(HttpStatusCode.NotFound);
        }

        var testList = await (await test.GetAsync($"/v1/organizations/{organization}/datasets")).JsonAsync();
        Assert.Equal([testDataset], testList.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        var liveList = await (await live.GetAsync($"/v1/organizations/{organization}/datasets")).JsonAsync();
        Assert.Equal([liveDataset], liveList.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        Assert.Equal([1, 2, 3], await live.GetObjectBytesAsync(organization, liveDataset, "weights.bin"));
    }

    [Fact]
    public async Task A_read_only_key_reads_and_every_change_is_refused_and_audited()
    {
        var organization = StorageApi.NewOrganization();
        var full = fixture.Gateway(organization);
        var dataset = await full.CreateDatasetAsync(organization);
        await (await full.PutObjectAsync(organization, dataset, "a.png", [1], "image")).JsonAsync(HttpStatusCode.Created);
        var keyId = "key_" + Guid.NewGuid().ToString("N");
        var reader = fixture.Gateway(organization, "dataset:read_only", keyId: keyId);

        Assert.Equal([1], await reader.GetObjectBytesAsync(organization, dataset, "a.png"));
        await AssertRefusedAsync(await reader.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "more" }));
        await AssertRefusedAsync(await reader.PutObjectAsync(organization, dataset, "a.png", [2], "image"));
        await AssertRefusedAsync(await reader.PutObjectAsync(organization, dataset, "b.json", [2], "annotation"));
        await AssertRefusedAsync(await reader.DeleteAsync(StorageApi.ObjectPath(organization, dataset, "a.png")));
        await AssertRefusedAsync(await reader.DeleteAsync($"/v1/organizations/{organization}/datasets/{dataset}"));

        Assert.Equal([1], await full.GetObjectBytesAsync(organization, dataset, "a.png"));
        var objects = await (await full.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects")).JsonAsync();
        Assert.Equal(1, objects.GetProperty("items").GetArrayLength());
        await AssertAuditedAsync(organization, keyId);
    }

    [Fact]
    public async Task A_labeler_cannot_replace_or_delete_what_is_not_an_annotation_by_calling_it_one()
    {
        var organization = StorageApi.NewOrganization();
        var full = fixture.Gateway(organization);
        var dataset = await full.CreateDatasetAsync(organization);
        await (await full.PutObjectAsync(organization, dataset, "model/weights.bin", [7, 7, 7], "model_weights")).JsonAsync(HttpStatusCode.Created);
        await (await full.PutObjectAsync(organization, dataset, "img/cat.png", [5], "image")).JsonAsync(HttpStatusCode.Created);
        var keyId = "key_" + Guid.NewGuid().ToString("N");
        var labeler = fixture.Gateway(organization, "dataset:labeler_only", keyId: keyId);

        await AssertRefusedAsync(await labeler.PutObjectAsync(organization, dataset, "model/weights.bin", [0], "annotation"));
        await AssertRefusedAsync(await labeler.DeleteAsync(StorageApi.ObjectPath(organization, dataset, "img/cat.png")));
        await AssertRefusedAsync(await labeler.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "mine" }));

        await (await labeler.PutObjectAsync(organization, dataset, "labels/cat.json", [1], "annotation")).JsonAsync(HttpStatusCode.Created);
        await (await labeler.PutObjectAsync(organization, dataset, "labels/cat.json", [2], "annotation")).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.NoContent, (await labeler.DeleteAsync(StorageApi.ObjectPath(organization, dataset, "labels/cat.json"))).StatusCode);

        Assert.Equal([7, 7, 7], await full.GetObjectBytesAsync(organization, dataset, "model/weights.bin"));
        Assert.Equal([5], await full.GetObjectBytesAsync(organization, dataset, "img/cat.png"));
        var weights = await (await full.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects")).JsonAsync();
        Assert.Contains(weights.GetProperty("items").EnumerateArray(), o => o.GetProperty("name").GetString() == "model/weights.bin" && o.GetProperty("dataClass").GetString() == "model_weights");
        await AssertAuditedAsync(organization, keyId);
    }

    [Fact]
    public async Task A_restricted_key_sees_what_exists_but_never_the_contents_and_changes_nothing()
    {
        var organization = StorageApi.NewOrganization();
        var full = fixture.Gateway(organization);
        var dataset = await full.CreateDatasetAsync(organization);
        await (await full.PutObjectAsync(organization, dataset, "a.png", [1, 2], "image")).JsonAsync(HttpStatusCode.Created);
        var restricted = fixture.Gateway(organization, "dataset:restricted");

        await (await restricted.GetAsync($"/v1/organizations/{organization}/datasets")).JsonAsync();
        await (await restricted.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects")).JsonAsync();
        using var head = await restricted.SendAsync(new HttpRequestMessage(HttpMethod.Head, StorageApi.ObjectPath(organization, dataset, "a.png")));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        await AssertRefusedAsync(await restricted.GetAsync(StorageApi.ObjectPath(organization, dataset, "a.png")));
        await AssertRefusedAsync(await restricted.PutObjectAsync(organization, dataset, "b.json", [1], "annotation"));
    }

    [Fact]
    public async Task A_key_of_another_organization_is_refused_and_audited_under_its_own_id()
    {
        var organization = StorageApi.NewOrganization();
        var dataset = await fixture.Gateway(organization).CreateDatasetAsync(organization);
        var attackerKey = "key_" + Guid.NewGuid().ToString("N");
        var attacker = fixture.Gateway(StorageApi.NewOrganization(), keyId: attackerKey);

        var refused = await (await attacker.DeleteAsync($"/v1/organizations/{organization}/datasets/{dataset}")).ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal("https://platform.dev/problems/forbidden", refused.GetProperty("type").GetString());
        await (await fixture.Gateway(organization).GetAsync($"/v1/organizations/{organization}/datasets/{dataset}")).JsonAsync();
        await AssertAuditedAsync(organization, attackerKey);
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.Forbidden);
        Assert.Equal(Problem, problem.GetProperty("type").GetString());
    }

    private Task AssertAuditedAsync(string organization, string keyId) =>
        fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("actor").GetString() == keyId && e.GetProperty("action").GetString() == "request.refused"
            && e.GetProperty("outcome").GetString() == "denied" && e.GetProperty("ip").GetString() == StorageServiceFixture.ClientAddress);
}
