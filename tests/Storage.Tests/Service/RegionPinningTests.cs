using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Storage.Model;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// SPEC RES-PIN, RES-ENFORCE at one region's storage (the fixture's region is "test"): datasets and objects get ids
/// naming the region, and anything pinned to another region is refused with a 421 <c>wrong-region</c> problem and an
/// audit event naming both regions, however the request got here; nothing is read or stored.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class RegionPinningTests(StorageServiceFixture fixture)
{
    private const string WrongRegion = "https://platform.dev/problems/wrong-region";

    [Fact]
    public async Task Datasets_and_objects_are_pinned_to_the_region_that_created_them()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        Assert.Equal(StorageServiceFixture.Region, DatasetIds.RegionOf(dataset));
        var stored = await (await client.PutObjectAsync(organization, dataset, "a.png", [1, 2, 3])).JsonAsync(HttpStatusCode.Created);
        Assert.Equal(StorageServiceFixture.Region, ObjectIds.RegionOf(stored.GetProperty("id").GetString()));
        var read = await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}")).JsonAsync();
        Assert.Equal(StorageServiceFixture.Region, read.GetProperty("region").GetString());
    }

    [Fact]
    public async Task A_dataset_pinned_to_another_region_is_refused_and_audited_on_every_endpoint()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization, keyId: "key_" + Guid.NewGuid().ToString("N"));
        var foreign = DatasetIds.New("eu");
        foreach (var response in new[]
        {
            await client.GetAsync($"/v1/organizations/{organization}/datasets/{foreign}"),
            await client.GetAsync($"/v1/organizations/{organization}/datasets/{foreign}/objects"),
            await client.GetAsync(StorageApi.ObjectPath(organization, foreign, "a.png")),
            await client.PutObjectAsync(organization, foreign, "a.png", [1]),
            await client.DeleteAsync($"/v1/organizations/{organization}/datasets/{foreign}"),
        })
        {
            var problem = await response.ProblemAsync((HttpStatusCode)421);
            Assert.Equal(WrongRegion, problem.GetProperty("type").GetString());
            Assert.Equal("eu", problem.GetProperty("region").GetString());
        }

        var audited = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("details").GetProperty("reason").GetString() == "wrong-region");
        Assert.Equal("eu", audited.GetProperty("details").GetProperty("pinnedRegion").GetString());
        Assert.Equal(StorageServiceFixture.Region, audited.GetProperty("region").GetString());
        Assert.Equal(StorageServiceFixture.ClientAddress, audited.GetProperty("ip").GetString());
        Assert.Empty(Directory.Exists(Path.Combine(fixture.RegionRoot, organization)) ? Directory.GetFileSystemEntries(Path.Combine(fixture.RegionRoot, organization)) : []);
    }

    [Fact]
    public async Task An_organization_pinned_to_another_region_cannot_create_a_dataset_here()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        client.DefaultRequestHeaders.Add("X-Platform-Residency-Region", "eu");
        var refused = await (await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "cats" })).ProblemAsync((HttpStatusCode)421);
        Assert.Equal(WrongRegion, refused.GetProperty("type").GetString());

        var list = await (await fixture.Gateway(organization).GetAsync($"/v1/organizations/{organization}/datasets")).JsonAsync();
        Assert.Empty(list.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_client_naming_another_region_is_refused_even_for_a_dataset_of_this_region()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/datasets/{dataset}");
        request.Headers.Add("Platform-Region", "us");
        var refused = await (await client.SendAsync(request)).ProblemAsync((HttpStatusCode)421);
        Assert.Equal(WrongRegion, refused.GetProperty("type").GetString());

        using var same = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/datasets/{dataset}");
        same.Headers.Add("Platform-Region", StorageServiceFixture.Region);
        await (await client.SendAsync(same)).JsonAsync();
    }

    [Fact]
    public async Task Services_list_every_dataset_an_organization_holds_here_and_only_their_own_organizations()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var first = await client.CreateDatasetAsync(organization, "one");
        var second = await fixture.Gateway(organization, environment: "test").CreateDatasetAsync(organization, "two");
        var other = StorageApi.NewOrganization();
        await fixture.Gateway(other).CreateDatasetAsync(other, "noise");

        var page = await (await fixture.ServiceClient().GetAsync($"/internal/v1/organizations/{organization}/datasets?limit=1")).JsonAsync();
        var ids = new List<string> { page.GetProperty("items")[0].GetProperty("id").GetString()! };
        var next = page.GetProperty("next").GetString();
        var rest = await (await fixture.ServiceClient().GetAsync($"/internal/v1/organizations/{organization}/datasets?after={next}")).JsonAsync();
        ids.AddRange(rest.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), ids);
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);

        await (await fixture.ServiceClient(StorageServiceFixture.TenantServiceToken).GetAsync($"/internal/v1/organizations/{organization}/datasets"))
            .ProblemAsync(HttpStatusCode.Forbidden);
        await (await client.GetAsync($"/internal/v1/organizations/{organization}/datasets")).ProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("ds_eu_0190a1b2c3d4e5f60718293a4b5c6d7e", "eu")]
    [InlineData("ds_us-east_0190a1b2c3d4e5f60718293a4b5c6d7e", "us-east")]
    [InlineData("ds_0190a1b2c3d4e5f60718293a4b5c6d7e", null)]
    [InlineData("ds_EU_0190a1b2c3d4e5f60718293a4b5c6d7e", null)]
    [InlineData("ds__0190a1b2c3d4e5f60718293a4b5c6d7e", null)]
    [InlineData("ds_eu_0190a1b2c3d4e5f60718293a4b5c6d7", null)]
    [InlineData("obj_eu_0190a1b2c3d4e5f60718293a4b5c6d7e", null)]
    public void A_dataset_id_names_its_region_or_none(string id, string? region) => Assert.Equal(region, DatasetIds.RegionOf(id));
}
