using System.Net;
using static Platform.IntegrationTests.Security.EdgeAttackers;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 6, at the gateway: every answer is a route or a clear problem, HEAD works wherever GET does (also
/// over HTTP/2, where a body on a HEAD answer made clients reset the stream), nothing tells what runs behind the
/// gateway, the pages the identity service links to are routed, and unknown paths are limited like everything else.
/// </summary>
[Collection(Collections.Platform)]
public sealed class EdgeAttacks(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Theory]
    [InlineData("/", 302)]
    [InlineData("/.well-known/security.txt", 200)]
    [InlineData("/.well-known/openid-configuration", 200)]
    [InlineData("/signin", 200)]
    [InlineData("/invitations/accept", 302)]
    [InlineData("/v1/audit/events", 401)]
    [InlineData("/v1/organizations/org_x/keys", 401)]
    [InlineData("/no-such-path", 404)]
    public async Task HEAD_over_HTTP_2_and_HTTP_1_1_is_answered_with_the_status_GET_gets_and_no_body(string path, int status)
    {
        var handler = app.CreateHandler("gateway");
        handler.AllowAutoRedirect = false;
        using var gateway = app.CreateHttpClient("gateway", handler: handler);
        using var get = await gateway.GetAsync(path);
        Assert.Equal(status, (int)get.StatusCode);

        foreach (var version in new[] { "--http2", "--http1.1" })
        {
            var (exitCode, output) = await CurlAsync(app, version, "-I", "{gateway}" + path);
            Assert.True(exitCode == 0, $"HEAD {path} over {version}: curl exited {exitCode}: {output}");
            Assert.Matches($"^HTTP/[0-9.]+ {status}", output);
        }
    }

    [Fact]
    public async Task No_answer_names_the_server_behind_the_gateway()
    {
        using var gateway = app.CreateHttpClient("gateway");
        var requests = new (string Method, string Path)[]
        {
            ("GET", "/signin"), ("GET", "/.well-known/openid-configuration"), ("HEAD", "/.well-known/jwks"), ("GET", "/v1/audit/events"),
            ("GET", "/v1/organizations/org_x/keys"), ("GET", "/v1/organizations/org_x/datasets"), ("POST", "/connect/token"), ("GET", "/no-such-path"),
        };
        foreach (var (method, path) in requests)
        {
            using var response = await gateway.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.False(response.Headers.Contains("Server"), $"{method} {path} ({(int)response.StatusCode}) says Server: {string.Join(",", response.Headers.TryGetValues("Server", out var server) ? server : [])}");
        }
    }

    [Fact]
    public async Task Every_page_the_identity_service_serves_is_routed()
    {
        var (owner, _) = await IdentityUser.OwnerAsync(fixture);
        string[] pages = ["/", "/invitations/accept", "/authorize/organization", "/account", "/mfa", "/mfa/enrol", "/password/forgot", "/password/reset", "/verify-email", "/signup", "/signin", "/consent", "/admin/clients/new"];

        foreach (var path in pages)
        {
            using var response = await owner.Browser.GetAsync(path);

            // The identity service answers (a page, a redirect, or a 400 page for a form without its parameters).
            Assert.True(response.StatusCode != HttpStatusCode.NotFound, $"{path} is not routed: {await response.Content.ReadAsStringAsync()}");
            Assert.True((int)response.StatusCode < 500, $"{path}: {(int)response.StatusCode}");
            Assert.True(response.StatusCode is HttpStatusCode.Redirect || response.Content.Headers.ContentType?.MediaType == "text/html", $"{path}: {(int)response.StatusCode} {response.Content.Headers.ContentType}");
        }
    }

    [Fact]
    public async Task The_invitation_accept_page_from_the_mail_opens_through_the_gateway()
    {
        var (owner, _) = await IdentityUser.OwnerAsync(fixture);

        using var response = await owner.Browser.GetAsync("/invitations/accept");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Requests_without_credentials_to_any_path_are_rate_limited_and_unknown_ones_are_problems()
    {
        using var gateway = app.CreateHttpClient("gateway");
        foreach (var path in new[] { "/no-such-path", "/internal/v1/keys/verify", "/.well-known/security.txt", "/v1/organizations/org_x/keys" })
        {
            using var response = await gateway.GetAsync(path);

            Assert.True(response.Headers.TryGetValues("RateLimit-Policy", out var policy), $"{path} ({(int)response.StatusCode}) is not rate limited");
            Assert.StartsWith("\"ip\";", policy.Single());
            Assert.True((int)response.StatusCode is >= 200 and < 300 || response.Content.Headers.ContentType?.MediaType == "application/problem+json",
                $"{path}: {(int)response.StatusCode} is neither an answer nor a problem");
        }
    }
}
