using System.Net;
using System.Net.Http.Json;
using System.Text;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>Destroying an organization's keys makes everything it stored unreadable, with a receipt (SPEC ENC-SHRED).</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class CryptoShreddingTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task After_destroying_the_keys_nothing_is_readable_and_no_backup_holds_the_plaintext()
    {
        var organization = StorageApi.NewOrganization();
        var marker = Encoding.ASCII.GetBytes($"SHRED-MARKER-{Guid.NewGuid():N}");
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var body = new byte[150_000];
        for (var offset = 0; offset + marker.Length < body.Length; offset += 10_000) marker.CopyTo(body, offset);
        await (await client.PutObjectAsync(organization, dataset, "secret.txt", body, "artifact")).JsonAsync(HttpStatusCode.Created);
        var service = fixture.ServiceClient();
        var transit = await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = Convert.ToBase64String(marker) })).JsonAsync();
        await (await service.PostAsync($"/internal/v1/organizations/{organization}/keys/rotate", null)).JsonAsync();

        // The scan can fail: a copy of the plaintext where a backup would pick it up is found.
        var control = Path.Combine(fixture.BlobRoot, "control");
        Directory.CreateDirectory(control);
        await File.WriteAllBytesAsync(Path.Combine(control, "plain"), body);
        Assert.NotEmpty(PlaintextScan.FilesContaining(fixture.BlobRoot, marker));
        Directory.Delete(control, recursive: true);

        await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = "org_someoneelse", requestedBy = "ops@example.com", reason = "closure" })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "secret.txt"))).StatusCode);

        var receipt = await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "ops@example.com", reason = "account closure" })).JsonAsync();
        Assert.Equal([1, 2], receipt.GetProperty("versionsDestroyed").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(1, receipt.GetProperty("objectsUnreadable").GetInt32());
        Assert.Equal("retention:ops@example.com", receipt.GetProperty("destroyedBy").GetString());
        await fixture.Events.WaitForAsync("encryption-key.destroyed", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("destroyedBy").GetString() == "retention:ops@example.com" && e.GetProperty("reason").GetString() == "account closure"
            && e.GetProperty("bytesUnreadable").GetInt64() == body.Length);

        var gone = await (await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "secret.txt"))).ProblemAsync(HttpStatusCode.Gone);
        Assert.Equal("https://platform.dev/problems/organization-keys-destroyed", gone.GetProperty("type").GetString());
        await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext = transit.GetProperty("ciphertext").GetString() })).ProblemAsync(HttpStatusCode.Gone);
        await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = "AAAA" })).ProblemAsync(HttpStatusCode.Gone);
        await (await client.PutObjectAsync(organization, dataset, "new.txt", [1])).ProblemAsync(HttpStatusCode.Gone);
        await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "ops@example.com", reason = "again" })).ProblemAsync(HttpStatusCode.Gone);
        Assert.All((await (await service.GetAsync($"/internal/v1/organizations/{organization}/keys")).JsonAsync()).GetProperty("versions").EnumerateArray(),
            v => Assert.Equal("destroyed", v.GetProperty("state").GetString()));

        var dump = await PlaintextScan.DumpAsync(fixture.Servers.GetConnectionString("storagedb"));
        Assert.True(dump.AsSpan().IndexOf(Encoding.UTF8.GetBytes(organization)) >= 0, "The dump does not hold the organization: it is not of this database.");
        Assert.False(PlaintextScan.Contains(dump, marker), "The database dump holds the marker.");
        Assert.Empty(PlaintextScan.FilesContaining(fixture.BlobRoot, marker));
    }
}
