using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>SPEC ENC-BLOB through the gateway over HTTPS, with API keys from the keys service, as a customer calls it.</summary>
[Collection(Collections.Platform)]
public sealed class StorageThroughGatewayTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task An_object_larger_than_the_default_body_limit_goes_up_and_comes_back_whole_and_in_ranges()
    {
        using var client = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(client);
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);

        using var put = await client.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/images/cat.png?dataClass=image", new ByteArrayContent(bytes));
        Assert.True(put.IsSuccessStatusCode, $"upload: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");

        var back = await client.GetByteArrayAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/images/cat.png");
        Assert.Equal(SHA256.HashData(bytes), SHA256.HashData(back));

        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/datasets/{dataset}/objects/images/cat.png");
        range.Headers.Range = new RangeHeaderValue(1_000_000, 1_000_099);
        using var partial = await client.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes.AsSpan(1_000_000, 100).ToArray(), await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_read_only_key_reads_but_cannot_write_and_another_organization_sees_nothing()
    {
        using var writer = await ClientWithKeyAsync("full");
        var dataset = await CreateDatasetAsync(writer);
        using (var put = await writer.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/a.txt?dataClass=artifact", new ByteArrayContent("hello"u8.ToArray())))
        {
            Assert.True(put.IsSuccessStatusCode);
        }

        using var reader = await ClientWithKeyAsync("read_only");
        Assert.Equal("hello", await reader.GetStringAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/a.txt"));
        using var refused = await reader.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/b.txt?dataClass=artifact", new ByteArrayContent([1]));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var elsewhere = await ClientWithKeyAsync("full", $"org_{Guid.NewGuid():n}");
        using var foreign = await elsewhere.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/a.txt");
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
    }

    private async Task<string> CreateDatasetAsync(HttpClient client)
    {
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "integration" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private async Task<HttpClient> ClientWithKeyAsync(string level, string? owner = null)
    {
        var key = (await app.CreateApiKeyAsync(owner ?? organization, level)).GetProperty("key").GetString()!;
        var client = app.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        return client;
    }
}
