using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Platform.Gateway.Tests.Infrastructure;

namespace Platform.Gateway.Tests;

/// <summary>
/// One credential per request (SPEC GW-AUTH): two are refused before anything is verified, and a bearer value that is
/// neither an API key nor a JWT (a static operator token) never passes the public edge.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OneCredentialTests(TokenGateway fixture) : IClassFixture<TokenGateway>
{
    private const string Key = "sk_live_0123456789abcdefghijABCDEFGHIJ01234567";
    private const string Session = "__Host-platform-session=CfDJ8session";

    public static TheoryData<string> Mixtures => ["key+token", "token+key-in-bearer", "two-keys", "two-key-values", "cookie+token", "key+basic", "cookie+key", "two-authorizations", "two-tokens-in-one"];

    [Theory]
    [MemberData(nameof(Mixtures))]
    public async Task Two_credentials_are_400_multiple_credentials_and_never_reach_the_upstream(string mixture)
    {
        var token = fixture.Issuer.Token(roles: ["Owner"], amr: ["pwd", "mfa"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/mixed");
        var headers = request.Headers;
        switch (mixture)
        {
            case "key+token":
                headers.TryAddWithoutValidation("X-Api-Key", Key);
                headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "token+key-in-bearer":
                headers.TryAddWithoutValidation("Authorization", ["Bearer " + token, "Bearer " + Key]);
                break;
            case "two-keys":
                headers.TryAddWithoutValidation("X-Api-Key", [Key, Key]);
                break;
            case "two-key-values":
                headers.TryAddWithoutValidation("X-Api-Key", Key + ", " + Key);
                break;
            case "cookie+token":
                headers.TryAddWithoutValidation("Cookie", Session);
                headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "key+basic":
                headers.TryAddWithoutValidation("X-Api-Key", Key);
                headers.Authorization = new AuthenticationHeaderValue("Basic", "Y2xpZW50OnNlY3JldA==");
                break;
            case "cookie+key":
                headers.TryAddWithoutValidation("Cookie", Session);
                headers.TryAddWithoutValidation("X-Api-Key", Key);
                break;
            case "two-authorizations":
                headers.TryAddWithoutValidation("Authorization", ["Bearer " + token, "Basic Y2xpZW50OnNlY3JldA=="]);
                break;
            default:
                headers.TryAddWithoutValidation("Authorization", "Bearer " + token + ", Bearer " + token);
                break;
        }

        using var response = await SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/multiple-credentials", await ProblemType(response));
    }

    [Theory]
    [InlineData("Bearer 8f3b0c6a1d2e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c")]
    [InlineData("Bearer operator-token")]
    [InlineData("Token 8f3b0c6a1d2e4f5a6b7c8d9e0f1a2b3c")]
    [InlineData("Digest username=\"admin\"")]
    public async Task A_credential_that_is_neither_a_key_nor_a_token_is_401_invalid_token_on_every_path(string authorization)
    {
        foreach (var path in new[] { "/open/operator", "/no-such-route", "/.well-known/security.txt" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Authorization", authorization);

            using var response = await SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("https://platform.dev/problems/invalid-token", await ProblemType(response));
            Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        }
    }

    [Fact]
    public async Task One_credential_of_the_kinds_the_identity_service_checks_goes_through_untouched()
    {
        using var basic = new HttpRequestMessage(HttpMethod.Post, "/open/connect/token");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", "Y2xpZW50OnNlY3JldA==");
        using var cookie = new HttpRequestMessage(HttpMethod.Get, "/open/account");
        cookie.Headers.TryAddWithoutValidation("Cookie", Session + "; __Host-platform-af=x");

        using var basicResponse = await SendAsync(basic);
        using var cookieResponse = await SendAsync(cookie);

        Assert.Equal(HttpStatusCode.OK, basicResponse.StatusCode);
        Assert.Equal("Basic Y2xpZW50OnNlY3JldA==", (await UpstreamHeaders(basicResponse))["authorization"]);
        Assert.Equal(HttpStatusCode.OK, cookieResponse.StatusCode);
        Assert.False((await UpstreamHeaders(cookieResponse)).ContainsKey("x-platform-user"));
    }

    [Fact]
    public async Task The_token_alone_decides_what_goes_upstream_and_the_upstream_server_header_stays_behind()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/open/one");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Issuer.Token(subject: "usr_one", organization: "org_one"));
        request.Headers.TryAddWithoutValidation("X-Platform-Key-Id", "key_spoofed");

        using var response = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = await UpstreamHeaders(response);
        Assert.Equal("usr_one", headers["x-platform-user"]);
        Assert.Equal("org_one", headers["x-platform-organization"]);
        Assert.False(headers.ContainsKey("x-platform-key-id"));
        Assert.True(headers.ContainsKey("x-platform-client-address"));
        Assert.False(response.Headers.Contains("Server"), "the upstream's Server header tells scanners what runs behind the gateway");
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(fixture.CertificatePath, password: null);
        var pinned = TestCertificates.Sha256(certificate);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == pinned },
            UseCookies = false,
        });
        client.BaseAddress = new Uri($"https://localhost:{fixture.Gateway.HttpsPort}");
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task<string?> ProblemType(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("type").GetString();
    }

    private static async Task<Dictionary<string, string>> UpstreamHeaders(HttpResponseMessage response)
    {
        using var echoed = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return echoed.RootElement.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }
}
