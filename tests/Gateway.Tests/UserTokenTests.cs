using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Platform.Gateway.Tests.Infrastructure;

namespace Platform.Gateway.Tests;

/// <summary>Access tokens validated at the gateway from the identity service's JWKS (SPEC GW-AUTH, ID-OIDC, ID-MFA).</summary>
[Collection(GatewayCollection.Name)]
public sealed class UserTokenTests(TokenGateway fixture) : IClassFixture<TokenGateway>
{
    private TokenIssuer issuer => fixture.Issuer;

    private GatewayProcess gateway => fixture.Gateway;

    private string certificatePath => fixture.CertificatePath;

    [Fact]
    public async Task A_valid_token_reaches_the_upstream_as_its_user_organization_and_roles()
    {
        using var response = await SendAsync("/open/me", issuer.Token(subject: "usr_42", organization: "org_7", roles: ["Admin"], amr: ["pwd", "mfa"]),
            spoof: ("X-Platform-User", "usr_spoofed"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = await UpstreamHeaders(response);
        Assert.Equal("usr_42", headers["x-platform-user"]);
        Assert.Equal("org_7", headers["x-platform-organization"]);
        Assert.Equal("Admin", headers["x-platform-roles"]);
        Assert.Equal("pwd mfa", headers["x-platform-amr"]);
        Assert.True(long.TryParse(headers["x-platform-auth-time"], out _));
        Assert.Contains("\"user\";q=600;w=60", response.Headers.GetValues("RateLimit-Policy").Single(), StringComparison.Ordinal);
    }

    public static TheoryData<string> Forgeries => ["expired", "audience", "issuer", "unpublished", "unsigned", "tampered", "hmac", "garbage"];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task A_forged_expired_or_foreign_token_is_401_and_never_reaches_the_upstream(string kind)
    {
        var token = kind switch
        {
            "expired" => issuer.Token(expires: TimeProvider.System.GetUtcNow().AddMinutes(-5)),
            "audience" => issuer.Token(audience: "another-api"),
            "issuer" => issuer.Token(issuer: "https://evil.test/"),
            "unpublished" => issuer.Token(key: TokenIssuer.Unpublished()),
            "unsigned" => TokenIssuer.Unsigned(),
            "tampered" => Tamper(issuer.Token(organization: "org_1")),
            // Algorithm confusion: HS256 "signed" with the public key's bytes.
            "hmac" => issuer.Token(key: new SymmetricSecurityKey(issuer.Current.ECDsa.ExportSubjectPublicKeyInfo())),
            _ => "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln",
        };

        using var response = await SendAsync("/open/forged", token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("https://platform.dev/problems/invalid-token", problem.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_token_from_a_rotated_key_is_accepted_once_the_new_key_is_published()
    {
        using (var before = await SendAsync("/open/rotation", issuer.Token())) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        var old = issuer.Current;
        issuer.Rotate();
        await Task.Delay(TimeSpan.FromSeconds(1.2));

        using var rotated = await SendAsync("/open/rotation", issuer.Token());
        using var stillValid = await SendAsync("/open/rotation", issuer.Token(key: old));

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stillValid.StatusCode);
    }

    [Fact]
    public async Task An_administrative_route_needs_the_role_and_a_recent_mfa()
    {
        var now = TimeProvider.System.GetUtcNow();
        using var viewer = await SendAsync("/admin/roles", issuer.Token(roles: ["Viewer"], amr: ["pwd", "mfa"]));
        using var passwordOnly = await SendAsync("/admin/roles", issuer.Token(roles: ["Admin"], amr: ["pwd"]));
        using var staleMfa = await SendAsync("/admin/roles", issuer.Token(roles: ["Admin"], amr: ["pwd", "mfa"], authTime: now.AddMinutes(-20)));
        using var recentMfa = await SendAsync("/admin/roles", issuer.Token(roles: ["Owner"], amr: ["pwd", "mfa"], authTime: now.AddMinutes(-5)));

        Assert.Equal(HttpStatusCode.Forbidden, viewer.StatusCode);
        Assert.Equal("https://platform.dev/problems/insufficient-role", await ProblemType(viewer));
        foreach (var refused in new[] { passwordOnly, staleMfa })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/step-up-required", await ProblemType(refused));
            Assert.Contains("insufficient_user_authentication", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            Assert.Contains("max_age=900", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, recentMfa.StatusCode);
    }

    [Theory]
    [InlineData("openid")]
    [InlineData("openid profile email offline_access")]
    [InlineData("platform.audit platform.secrets")]
    [InlineData("platform")]
    [InlineData(null)]
    public async Task A_token_without_the_routes_scope_is_403_insufficient_scope_and_never_reaches_the_upstream(string? scope)
    {
        using var response = await SendAsync("/keys/list", issuer.Token(roles: ["Owner"], scope: scope));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/insufficient-scope", await ProblemType(response));
        Assert.Equal("Bearer error=\"insufficient_scope\", scope=\"platform.keys\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task A_route_needs_every_scope_it_lists()
    {
        using var one = await SendAsync("/both/x", issuer.Token(scope: "platform.keys"));
        using var both = await SendAsync("/both/x", issuer.Token(scope: "openid platform.secrets platform.keys"));
        using var granted = await SendAsync("/keys/list", issuer.Token(roles: ["Admin"], scope: "platform.keys"));

        Assert.Equal(HttpStatusCode.Forbidden, one.StatusCode);
        Assert.Contains("scope=\"platform.keys platform.secrets\"", one.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, both.StatusCode);
        Assert.Equal(HttpStatusCode.OK, granted.StatusCode);
    }

    [Fact]
    public async Task A_route_that_names_the_platform_policy_is_held_to_its_metadata_as_well()
    {
        using var without = await SendAsync("/named/x", issuer.Token(scope: "platform.keys"));
        using var with = await SendAsync("/named/x", issuer.Token(scope: "platform.audit"));

        Assert.Equal(HttpStatusCode.Forbidden, without.StatusCode);
        Assert.Equal("https://platform.dev/problems/insufficient-scope", await ProblemType(without));
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
    }

    [Fact]
    public async Task A_route_for_api_keys_refuses_a_user_token()
    {
        using var response = await SendAsync("/keyonly/datasets", issuer.Token(roles: ["Owner"]));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/api-key-required", await ProblemType(response));
    }

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace("\"org_1\"", "\"org_2\"", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";
    }

    private async Task<HttpResponseMessage> SendAsync(string path, string token, (string Name, string Value)? spoof = null)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password: null);
        var pinned = TestCertificates.Sha256(certificate);
        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == pinned },
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{gateway.HttpsPort}{path}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (spoof is { } header) request.Headers.TryAddWithoutValidation(header.Name, header.Value);
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

/// <summary>One gateway that takes tokens from a <see cref="TokenIssuer"/>, in front of an <see cref="EchoUpstream"/>.</summary>
public sealed class TokenGateway(Servers servers) : IAsyncLifetime
{
    public TokenIssuer Issuer { get; private set; } = null!;
    private EchoUpstream upstream = null!;
    internal GatewayProcess Gateway { get; private set; } = null!;
    public string CertificatePath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Issuer = await TokenIssuer.StartAsync();
        upstream = await EchoUpstream.StartAsync();
        var folder = servers.NewFolder();
        CertificatePath = Path.Combine(folder, "dev.pfx");
        Gateway = GatewayProcess.Start(folder, new Dictionary<string, string>(servers.ConnectionStrings)
        {
            ["Gateway__DevelopmentCertificatePath"] = CertificatePath,
            ["Gateway__Identity__Issuer"] = TokenIssuer.Issuer,
            ["Gateway__Identity__JwksUrl"] = Issuer.JwksUrl.ToString(),
            ["Gateway__Identity__MinimumJwksRefresh"] = "00:00:01",
            ["Gateway__RateLimits__KeyPrefix"] = $"token-tests:{Guid.NewGuid():n}:",
            ["ReverseProxy__Clusters__echo__Destinations__primary__Address"] = upstream.Address.ToString(),
            ["ReverseProxy__Routes__open__ClusterId"] = "echo",
            ["ReverseProxy__Routes__open__Match__Path"] = "/open/{**rest}",
            ["ReverseProxy__Routes__admin__ClusterId"] = "echo",
            ["ReverseProxy__Routes__admin__Match__Path"] = "/admin/{**rest}",
            ["ReverseProxy__Routes__admin__Metadata__Roles"] = "Owner,Admin",
            ["ReverseProxy__Routes__admin__Metadata__StepUp"] = "true",
            ["ReverseProxy__Routes__keyadmin__ClusterId"] = "echo",
            ["ReverseProxy__Routes__keyadmin__Match__Path"] = "/keys/{**rest}",
            ["ReverseProxy__Routes__keyadmin__Metadata__Roles"] = "Owner,Admin",
            ["ReverseProxy__Routes__keyadmin__Metadata__Scopes"] = "platform.keys",
            ["ReverseProxy__Routes__named__ClusterId"] = "echo",
            ["ReverseProxy__Routes__named__Match__Path"] = "/named/{**rest}",
            ["ReverseProxy__Routes__named__AuthorizationPolicy"] = "platform",
            ["ReverseProxy__Routes__named__Metadata__Scopes"] = "platform.audit",
            ["ReverseProxy__Routes__both__ClusterId"] = "echo",
            ["ReverseProxy__Routes__both__Match__Path"] = "/both/{**rest}",
            ["ReverseProxy__Routes__both__Metadata__Scopes"] = "platform.keys, platform.secrets",
            ["ReverseProxy__Routes__keyonly__ClusterId"] = "echo",
            ["ReverseProxy__Routes__keyonly__Match__Path"] = "/keyonly/{**rest}",
            ["ReverseProxy__Routes__keyonly__Metadata__Permission"] = "dataset",
        });
        await Gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await upstream.DisposeAsync();
        await Issuer.DisposeAsync();
    }
}
