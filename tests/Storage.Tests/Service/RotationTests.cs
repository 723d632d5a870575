using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>Organization keys rotate every 90 days of the (fake) clock, on demand and at the usage bound; old objects stay readable and move to the newest version.</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class RotationTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task After_90_days_keys_rotate_and_object_keys_are_rewrapped_without_touching_object_bytes()
    {
        var organization = StorageApi.NewOrganization();
        var shortPeriod = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var plaintext = PatternStream.Bytes(200_000, 42);
        await (await client.PutObjectAsync(organization, dataset, "old.bin", plaintext)).JsonAsync(HttpStatusCode.Created);
        var blob = Assert.Single(Directory.GetFiles(Path.Combine(fixture.RegionRoot, organization, dataset)));
        var bytesBefore = SHA256.HashData(await File.ReadAllBytesAsync(blob));
        var operatorClient = fixture.ServiceClient();
        await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{shortPeriod}/encrypt", new { plaintext = "AAAA" })).JsonAsync();
        await (await operatorClient.PutAsJsonAsync($"/internal/v1/organizations/{shortPeriod}/keys/policy", new { rotationPeriodDays = 30 })).JsonAsync();

        await fixture.AdvanceAsync(TimeSpan.FromDays(31));
        await WaitForVersionAsync(shortPeriod, 2);
        Assert.Equal(1, (await StatusAsync(organization)).GetProperty("currentVersion").GetInt32());

        await fixture.AdvanceAsync(TimeSpan.FromDays(60));
        var status = await WaitForVersionAsync(organization, 2);
        Assert.Equal("scheduled", status.GetProperty("versions")[1].GetProperty("reason").GetString());
        await fixture.Events.WaitForAsync("encryption-key.rotated", e => e.GetProperty("organizationId").GetString() == organization && e.GetProperty("version").GetInt32() == 2);

        // The maintenance pass that rotated also rewraps; wait for this object's key to move.
        var listing = await WaitForAsync(async () =>
        {
            var page = await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects")).JsonAsync();
            return page.GetProperty("items")[0].GetProperty("keyVersion").GetInt32() == 2 ? page : (JsonElement?)null;
        });
        Assert.Equal(2, listing.GetProperty("items")[0].GetProperty("keyVersion").GetInt32());
        Assert.Equal(bytesBefore, SHA256.HashData(await File.ReadAllBytesAsync(blob)));
        Assert.Equal(plaintext, await client.GetObjectBytesAsync(organization, dataset, "old.bin"));
    }

    [Fact]
    public async Task A_minimum_decryption_version_retires_old_versions_once_nothing_stored_needs_them()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var service = fixture.ServiceClient();
        var dataset = await client.CreateDatasetAsync(organization);
        await (await client.PutObjectAsync(organization, dataset, "a", [1, 2, 3])).JsonAsync(HttpStatusCode.Created);
        var old = (await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = "AQID" })).JsonAsync()).GetProperty("ciphertext").GetString();
        await (await service.PostAsync($"/internal/v1/organizations/{organization}/keys/rotate", null)).JsonAsync();

        var refused = await (await service.PutAsJsonAsync($"/internal/v1/organizations/{organization}/keys/policy", new { minDecryptionVersion = 2 })).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("rewrap", refused.GetProperty("detail").GetString());
        await (await service.PutAsJsonAsync($"/internal/v1/organizations/{organization}/keys/policy", new { minDecryptionVersion = 3 })).ProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal(1, (await (await service.PostAsync($"/internal/v1/organizations/{organization}/keys/rewrap", null)).JsonAsync()).GetProperty("rewrapped").GetInt32());
        var status = await (await service.PutAsJsonAsync($"/internal/v1/organizations/{organization}/keys/policy", new { minDecryptionVersion = 2 })).JsonAsync();
        Assert.Equal("retired", status.GetProperty("versions")[0].GetProperty("state").GetString());

        var problem = await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext = old })).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("https://platform.dev/problems/key-version-retired", problem.GetProperty("type").GetString());
        Assert.Equal([1, 2, 3], await client.GetObjectBytesAsync(organization, dataset, "a"));
    }

    [Fact]
    public async Task A_version_is_rotated_before_it_reaches_the_usage_bound()
    {
        await using var limited = fixture.Create(new Dictionary<string, string?> { ["Storage:KeyUsageLimit"] = "5" });
        var organization = StorageApi.NewOrganization();
        var client = fixture.ServiceClient(service: limited);
        var versions = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            versions.Add((await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = "AAAA" })).JsonAsync()).GetProperty("keyVersion").GetInt32());
        }

        Assert.Equal([1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3], versions);
        var status = await StatusAsync(organization);
        Assert.All(status.GetProperty("versions").EnumerateArray(), v => Assert.True(v.GetProperty("usageCount").GetInt64() <= 5));
        Assert.Equal("usage-limit", status.GetProperty("versions")[1].GetProperty("reason").GetString());
    }

    private async Task<JsonElement> StatusAsync(string organization) =>
        await (await fixture.ServiceClient().GetAsync($"/internal/v1/organizations/{organization}/keys")).JsonAsync();

    private Task<JsonElement> WaitForVersionAsync(string organization, int version) =>
        WaitForAsync(async () => await StatusAsync(organization) is var status && status.GetProperty("currentVersion").GetInt32() == version ? status : null);

    private static async Task<JsonElement> WaitForAsync(Func<Task<JsonElement?>> probe)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (elapsed.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (await probe() is { } found) return found;
            await Task.Delay(50);
        }

        Assert.Fail("The condition was not met within 15 s.");
        return default;
    }
}
