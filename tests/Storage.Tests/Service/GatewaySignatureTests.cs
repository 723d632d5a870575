using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Platform.Security.Gateway;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// With <c>GatewaySigning:Key</c> set, the service believes <c>X-Platform-*</c> headers only under the gateway's
/// signature: someone who reaches it past the gateway cannot pose as an organization's key.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class GatewaySignatureTests(StorageServiceFixture fixture)
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public async Task Signed_principal_headers_are_believed_and_unsigned_stale_or_moved_ones_are_refused()
    {
        await using var service = fixture.Create(new Dictionary<string, string?> { ["GatewaySigning:Key"] = Convert.ToBase64String(Key) });
        using var client = service.CreateClient();
        var organization = StorageApi.NewOrganization();
        var path = $"/v1/organizations/{organization}/datasets";

        using (var created = await client.SendAsync(Request(HttpMethod.Post, path, organization, sign: true)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using (var listed = await client.SendAsync(Request(HttpMethod.Get, path, organization, sign: true)))
        {
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        }

        var refused = new[]
        {
            Request(HttpMethod.Get, path, organization, sign: false),
            Request(HttpMethod.Get, path, organization, sign: true, signedAt: fixture.Clock.GetUtcNow().AddMinutes(-2)),
            Request(HttpMethod.Get, path, organization, sign: true, signedFor: $"/v1/organizations/{organization}/datasets?limit=1"),
            Request(HttpMethod.Get, path, organization, sign: true, key: RandomNumberGenerator.GetBytes(32)),
        };
        foreach (var request in refused)
        {
            using var response = await client.SendAsync(request);
            var problem = await response.ProblemAsync(HttpStatusCode.Unauthorized);
            Assert.Contains("signature", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // A signature is for the headers it was made with: another organization's cannot be swapped in.
        var swapped = Request(HttpMethod.Get, path, organization, sign: true);
        swapped.Headers.Remove("X-Platform-Scopes");
        swapped.Headers.Add("X-Platform-Scopes", "dataset:full");
        using (var response = await client.SendAsync(swapped))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path, string organization, bool sign,
        DateTimeOffset? signedAt = null, string? signedFor = null, byte[]? key = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post) request.Content = JsonContent.Create(new { name = "signed" });
        var headers = new Dictionary<string, string>
        {
            ["X-Platform-Organization"] = organization,
            ["X-Platform-Key-Id"] = "key_0123456789abcdef0123456789abcdef",
            ["X-Platform-Environment"] = "live",
            ["X-Platform-Scopes"] = "dataset:read_only",
        };
        if (method == HttpMethod.Post) headers["X-Platform-Scopes"] = "dataset:full";
        foreach (var (name, value) in headers) request.Headers.Add(name, value);
        if (sign)
        {
            request.Headers.Add(GatewaySignature.Header, GatewaySignature.Sign(key ?? Key, (signedAt ?? fixture.Clock.GetUtcNow()).ToUnixTimeSeconds(),
                method.Method, signedFor ?? path, headers));
        }

        return request;
    }
}
