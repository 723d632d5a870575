using System.Net.Http.Json;
using System.Text;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>No key material or plaintext in logs, responses or unencrypted columns.</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class SecrecyTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task Keys_and_plaintexts_appear_in_no_log_line_and_no_database_column()
    {
        var organization = StorageApi.NewOrganization();
        var service = fixture.ServiceClient();
        var secret = Encoding.ASCII.GetBytes($"hf_token_{Guid.NewGuid():N}");
        var encrypted = await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = Convert.ToBase64String(secret) })).JsonAsync();
        await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext = encrypted.GetProperty("ciphertext").GetString() })).JsonAsync();
        var dataKey = Convert.FromBase64String((await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/generate-data-key", new { })).JsonAsync())
            .GetProperty("plaintext").GetString()!);
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        await (await client.PutObjectAsync(organization, dataset, "s.bin", secret)).JsonAsync(System.Net.HttpStatusCode.Created);
        Assert.Equal(secret, await client.GetObjectBytesAsync(organization, dataset, "s.bin"));

        var status = await (await service.GetAsync($"/internal/v1/organizations/{organization}/keys")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("wrapped", status, StringComparison.OrdinalIgnoreCase);

        var logs = Encoding.UTF8.GetBytes(string.Join('\n', fixture.Logs.Lines));
        var dump = await PlaintextScan.DumpAsync(fixture.Servers.GetConnectionString("storagedb"));
        foreach (var value in new[] { secret, dataKey, Convert.FromBase64String(fixture.RootKey) })
        {
            Assert.False(PlaintextScan.Contains(logs, value), "A log line holds a key or plaintext.");
            Assert.False(PlaintextScan.Contains(dump, value), "The database holds a key or plaintext in the clear.");
        }

        Assert.False(PlaintextScan.Contains(logs, Encoding.ASCII.GetBytes(StorageServiceFixture.OperatorToken)), "A log line holds a service token.");
    }
}
