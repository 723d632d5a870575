using System.Net;
using System.Net.Http.Json;
using Platform.Storage.Keys;
using Platform.Storage.Tests.Infrastructure;
using static Platform.Storage.Tests.Infrastructure.StorageApi;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// What an upload no longer reads from the database each time (issue 20: the dataset, the current key version, the key's
/// use counted in the group commit's transaction) still takes effect when it changes: another replica's rotation within
/// <see cref="OrganizationKeyRing.CurrentKeyLifetime"/>, a destruction or a dataset deletion at the upload's commit, and
/// the usage bound and its totals exactly as when every use was counted alone.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class UploadRoundTripsTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task Uploads_count_every_data_key_use_and_rotate_at_the_usage_bound()
    {
        await using var limited = fixture.Create(new Dictionary<string, string?> { ["Storage:KeyUsageLimit"] = "5" });
        var organization = NewOrganization();
        var client = fixture.Gateway(organization, service: limited);
        var dataset = await client.CreateDatasetAsync(organization);
        var versions = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            var stored = await (await client.PutObjectAsync(organization, dataset, $"o{i}", [1, 2, 3])).JsonAsync(HttpStatusCode.Created);
            versions.Add(stored.GetProperty("keyVersion").GetInt32());
        }

        // A failed upload used the key too (its data key was wrapped): counted with the next batch.
        var failed = await client.PutObjectAsync(organization, dataset, "short", new MemoryStream([1, 2]), 3);
        Assert.NotEqual(HttpStatusCode.Created, failed.StatusCode);
        await (await client.PutObjectAsync(organization, dataset, "last", [4])).JsonAsync(HttpStatusCode.Created);

        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3], versions);
        var status = await (await fixture.ServiceClient(service: limited).GetAsync($"/internal/v1/organizations/{organization}/keys")).JsonAsync();
        var counts = status.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("usageCount").GetInt64()).ToList();
        Assert.All(counts, count => Assert.True(count <= 5, $"usage counts {string.Join(", ", counts)}"));
        Assert.Equal(14, counts.Sum());
    }

    [Fact]
    public async Task Another_replicas_rotation_reaches_uploads_here_within_the_current_key_lifetime()
    {
        await using var other = fixture.Create(new Dictionary<string, string?>());
        var organization = NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        Assert.Equal(1, await KeyVersionOfNewObjectAsync(client, organization, dataset, "before"));

        // Rotated here: the next upload here uses the new version at once.
        await (await fixture.ServiceClient().PostAsync($"/internal/v1/organizations/{organization}/keys/rotate", null)).JsonAsync();
        Assert.Equal(2, await KeyVersionOfNewObjectAsync(client, organization, dataset, "rotated-here"));

        // Rotated by another replica: seen once the current key lifetime is over.
        await (await fixture.ServiceClient(service: other).PostAsync($"/internal/v1/organizations/{organization}/keys/rotate", null)).JsonAsync();
        await fixture.AdvanceAsync(OrganizationKeyRing.CurrentKeyLifetime);
        Assert.Equal(3, await KeyVersionOfNewObjectAsync(client, organization, dataset, "rotated-there"));
    }

    [Fact]
    public async Task Keys_destroyed_by_another_replica_refuse_the_next_upload_here_and_store_nothing()
    {
        var (other, organization, client, dataset) = await UploadedAndAnotherReplicaAsync();
        await using var _ = other;

        await (await fixture.ServiceClient(service: other).PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "ops@example.com", reason = "test" })).JsonAsync();
        var refused = await client.PutObjectAsync(organization, dataset, "after", [1, 2, 3]);

        Assert.Equal(HttpStatusCode.Gone, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(ObjectPath(organization, dataset, "after"))).StatusCode);
        Assert.Single(Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_dataset_deleted_by_another_replica_refuses_the_next_upload_here_and_stores_nothing()
    {
        var (other, organization, client, dataset) = await UploadedAndAnotherReplicaAsync();
        await using var _ = other;

        Assert.True((await fixture.Gateway(organization, service: other).DeleteAsync($"/v1/organizations/{organization}/datasets/{dataset}")).IsSuccessStatusCode);
        var refused = await client.PutObjectAsync(organization, dataset, "after", [1, 2, 3]);

        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_labeler_still_may_not_replace_another_class_though_full_keys_skip_the_early_check()
    {
        var organization = NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        await KeyVersionOfNewObjectAsync(client, organization, dataset, "photo");
        var labeler = fixture.Gateway(organization, scopes: "dataset:labeler_only");

        var refused = await labeler.PutObjectAsync(organization, dataset, "photo", [9], dataClass: "annotation");

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal([1, 2, 3], await client.GetObjectBytesAsync(organization, dataset, "photo"));
        await (await client.PutObjectAsync(organization, dataset, "photo", [7], dataClass: "annotation")).JsonAsync(HttpStatusCode.Created);
    }

    /// <summary>An organization's dataset with one object uploaded here (its dataset and key now known here), and another replica.</summary>
    private async Task<(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Other, string Organization, HttpClient Client, string Dataset)> UploadedAndAnotherReplicaAsync()
    {
        var organization = NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        await KeyVersionOfNewObjectAsync(client, organization, dataset, "before");
        return (fixture.Create(new Dictionary<string, string?>()), organization, client, dataset);
    }

    private static async Task<int> KeyVersionOfNewObjectAsync(HttpClient client, string organization, string dataset, string name) =>
        (await (await client.PutObjectAsync(organization, dataset, name, [1, 2, 3])).JsonAsync(HttpStatusCode.Created)).GetProperty("keyVersion").GetInt32();
}
