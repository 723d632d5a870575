using System.Net;
using System.Net.Http.Json;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>Encryption for other services: round trips bound to organization and context, data keys, rewrap, and who may call.</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class TransitTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task Encrypt_then_decrypt_needs_the_same_organization_and_context()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.ServiceClient();
        var plaintext = Convert.ToBase64String("hub token hf_abc"u8);
        var context = new Dictionary<string, string> { ["purpose"] = "model-hub-token", ["secretId"] = "sec_1" };

        var encrypted = await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext, context })).JsonAsync();
        var ciphertext = encrypted.GetProperty("ciphertext").GetString()!;
        Assert.StartsWith("pvt:v1:", ciphertext);
        Assert.DoesNotContain(plaintext, ciphertext);

        var decrypted = await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext, context })).JsonAsync();
        Assert.Equal(plaintext, decrypted.GetProperty("plaintext").GetString());

        var wrongContext = new Dictionary<string, string> { ["purpose"] = "model-hub-token", ["secretId"] = "sec_2" };
        var problem = await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext, context = wrongContext })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal("https://platform.dev/problems/ciphertext-invalid", problem.GetProperty("type").GetString());

        var other = StorageApi.NewOrganization();
        await (await client.PostAsJsonAsync($"/internal/v1/transit/{other}/encrypt", new { plaintext })).JsonAsync();
        await (await client.PostAsJsonAsync($"/internal/v1/transit/{other}/decrypt", new { ciphertext, context })).ProblemAsync(HttpStatusCode.BadRequest);

        foreach (var forged in new[] { "pvt:v1:AAAA", "pvt:v9:" + ciphertext[7..], "nonsense", ciphertext[..^4] + "AAAA" })
        {
            await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext = forged, context })).ProblemAsync(HttpStatusCode.BadRequest);
        }
    }

    [Fact]
    public async Task Generated_data_keys_decrypt_to_their_plaintext_and_rewrap_moves_to_the_newest_version()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.ServiceClient();
        var generated = await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/generate-data-key", new { context = new { job = "export" } })).JsonAsync();
        var key = generated.GetProperty("plaintext").GetString()!;
        Assert.Equal(32, Convert.FromBase64String(key).Length);
        var ciphertext = generated.GetProperty("ciphertext").GetString()!;

        Assert.Equal(2, (await (await client.PostAsync($"/internal/v1/organizations/{organization}/keys/rotate", null)).JsonAsync()).GetProperty("version").GetInt32());
        var rewrapped = await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/rewrap", new { ciphertext, context = new { job = "export" } })).JsonAsync();
        Assert.Equal(2, rewrapped.GetProperty("keyVersion").GetInt32());
        var decrypted = await (await client.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt",
            new { ciphertext = rewrapped.GetProperty("ciphertext").GetString(), context = new { job = "export" } })).JsonAsync();
        Assert.Equal(key, decrypted.GetProperty("plaintext").GetString());
    }

    [Fact]
    public async Task Services_are_authenticated_and_limited_to_their_organizations()
    {
        var body = new { plaintext = "AAAA" };
        await (await fixture.Service.CreateClient().PostAsJsonAsync($"/internal/v1/transit/{StorageServiceFixture.TenantOrganization}/encrypt", body)).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await fixture.ServiceClient("not-a-token-0123456789-0123456789-0123456789").PostAsJsonAsync($"/internal/v1/transit/{StorageServiceFixture.TenantOrganization}/encrypt", body)).ProblemAsync(HttpStatusCode.Unauthorized);

        var tenant = fixture.ServiceClient(StorageServiceFixture.TenantServiceToken);
        await (await tenant.PostAsJsonAsync($"/internal/v1/transit/{StorageServiceFixture.TenantOrganization}/encrypt", body)).JsonAsync();
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("actor").GetString() == "operator:tenant-service"
            && e.GetProperty("action").GetString() == "operator.request" && e.GetProperty("organizationId").GetString() == StorageServiceFixture.TenantOrganization);
        await (await tenant.PostAsJsonAsync($"/internal/v1/transit/{StorageApi.NewOrganization()}/encrypt", body)).ProblemAsync(HttpStatusCode.Forbidden);
        await (await tenant.PostAsync($"/internal/v1/organizations/{StorageApi.NewOrganization()}/keys/rotate", null)).ProblemAsync(HttpStatusCode.Forbidden);

        // An API key's principal from the gateway is no service credential here.
        await (await fixture.Gateway(StorageServiceFixture.TenantOrganization).PostAsJsonAsync($"/internal/v1/transit/{StorageServiceFixture.TenantOrganization}/encrypt", body)).ProblemAsync(HttpStatusCode.Unauthorized);

        // A service credential on a request that came through the gateway (any X-Platform-* header) is refused.
        var relayed = new HttpRequestMessage(HttpMethod.Post, $"/internal/v1/transit/{StorageServiceFixture.TenantOrganization}/encrypt") { Content = JsonContent.Create(body) };
        relayed.Headers.Add("X-Platform-Client-Address", "198.51.100.1");
        await (await tenant.SendAsync(relayed)).ProblemAsync(HttpStatusCode.Unauthorized);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("actor").GetString() == "operator:tenant-service"
            && e.GetProperty("action").GetString() == "operator.credential-refused");
    }

    [Fact]
    public async Task Bad_transit_input_is_refused()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.ServiceClient();
        var path = $"/internal/v1/transit/{organization}/encrypt";

        await (await client.PostAsJsonAsync(path, new { plaintext = "not base64!" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsJsonAsync(path, new { plaintext = Convert.ToBase64String(new byte[(64 * 1024) + 1]) })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsJsonAsync(path, new { plaintext = "AAAA", context = new Dictionary<string, string> { ["bad name"] = "x" } })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsJsonAsync(path, new { plaintext = "AAAA", context = Enumerable.Range(0, 17).ToDictionary(i => $"k{i}", i => "v") })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsJsonAsync(path, new { text = "AAAA" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync(path, null)).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync($"/internal/v1/organizations/{organization}/keys")).ProblemAsync(HttpStatusCode.NotFound);
    }
}
