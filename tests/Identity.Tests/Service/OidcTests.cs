using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Identity.Oidc;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

[Collection(IdentityCollection.Name)]
public sealed class OidcTests(IdentityFixture fixture)
{
    private async Task<(TestUser Admin, string OrgId)> AdministratorAsync()
    {
        var admin = await TestUser.CreateAsync(fixture);
        await admin.EnrolTotpAsync();
        var orgId = await admin.CreateOrganizationAsync();
        await admin.StepUpAsync();
        return (admin, orgId);
    }

    private static async Task<JsonElement> CreateClientAsync(TestUser admin, string orgId, object body)
    {
        var response = await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static JsonElement Payload(string jwt) => JsonDocument.Parse(Base64Url(jwt.Split('.')[1])).RootElement;

    private static JsonElement Header(string jwt) => JsonDocument.Parse(Base64Url(jwt.Split('.')[0])).RootElement;

    private static byte[] Base64Url(string s) => System.Buffers.Text.Base64Url.DecodeFromChars(s);

    private async Task<HttpResponseMessage> ClientCredentialsAsync(string clientId, string secret, string scope = "platform.keys platform.secrets") =>
        await fixture.Client().PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = scope,
        }));

    [Fact]
    public async Task The_end_session_endpoint_ends_the_session_on_a_POST_but_not_on_a_bare_link_or_for_an_unregistered_return_address()
    {
        var user = await TestUser.CreateAsync(fixture);
        var discovery = await fixture.Client().GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        Assert.Equal("https://localhost/connect/endsession", discovery.GetProperty("end_session_endpoint").GetString());

        // A link on another site (a GET without an id_token_hint of this user) ends nothing: logout CSRF.
        using (var link = await user.Http.GetAsync("/connect/endsession"))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
            Assert.Equal("/account", link.Headers.Location!.OriginalString);
        }

        using (var me = await user.Http.GetAsync("/v1/me")) Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        // A return address no client registered is refused, and ends nothing.
        using (var foreign = await user.Http.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string> { ["post_logout_redirect_uri"] = "https://attacker.example/" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        }

        using (var me = await user.Http.GetAsync("/v1/me")) Assert.Equal(HttpStatusCode.OK, me.StatusCode);

        // The user's own POST (a same-site form: the Lax session cookie comes along) ends the session.
        using (var post = await user.Http.PostAsync("/connect/endsession", new FormUrlEncodedContent(new Dictionary<string, string>())))
        {
            Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
            Assert.StartsWith("/signin", post.Headers.Location!.OriginalString);
        }

        using (var after = await user.Http.GetAsync("/v1/me")) Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Discovery_offers_S256_only_and_the_JWKS_publishes_the_signing_key()
    {
        var discovery = await fixture.Client().GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        Assert.Equal("https://localhost/", discovery.GetProperty("issuer").GetString());
        Assert.Equal(["S256"], discovery.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("https://localhost/.well-known/jwks", discovery.GetProperty("jwks_uri").GetString());
        var jwks = await fixture.Client().GetFromJsonAsync<JsonElement>("/.well-known/jwks");
        var key = jwks.GetProperty("keys")[0];
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.False(key.TryGetProperty("d", out _), "The JWKS publishes a private key.");
    }

    [Fact]
    public async Task Creating_a_client_needs_an_Owner_or_Admin_with_a_recent_second_factor()
    {
        var (admin, orgId) = await AdministratorAsync();
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(16));
        var body = new { name = "ci", type = "machine", scopes = new[] { "platform.keys" } };
        var stale = await (await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", body)).ProblemAsync();
        Assert.Equal((HttpStatusCode.Unauthorized, "https://platform.dev/problems/step-up-required"), (stale.Status, stale.Type));
        await admin.StepUpAsync();
        var created = await CreateClientAsync(admin, orgId, body);
        Assert.StartsWith("cli_", created.GetProperty("clientId").GetString(), StringComparison.Ordinal);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.client.created" && e.GetProperty("target").GetString() == created.GetProperty("clientId").GetString());

        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", new { name = "x", type = "machine", scopes = new[] { "admin:all" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", new { name = "x", type = "machine", scopes = new[] { "platform" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", new { name = "x", type = "machine", scopes = new[] { "openid" } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", new { name = "x", type = "web", scopes = new[] { "openid" }, redirectUris = new[] { "http://evil.example/cb" } })).StatusCode);
    }

    [Fact]
    public async Task Client_credentials_give_a_short_lived_signed_JWT_for_the_platform_audience()
    {
        var (admin, orgId) = await AdministratorAsync();
        var client = await CreateClientAsync(admin, orgId, new { name = "ci", type = "machine", scopes = new[] { "platform.keys", "platform.secrets" } });
        var clientId = client.GetProperty("clientId").GetString()!;
        var secret = client.GetProperty("clientSecret").GetString()!;

        var response = await ClientCredentialsAsync(clientId, secret);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        var header = Header(token);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("at+jwt", header.GetProperty("typ").GetString());
        var payload = Payload(token);
        Assert.Equal("https://localhost/", payload.GetProperty("iss").GetString());
        Assert.Equal(clientId, payload.GetProperty("sub").GetString());
        Assert.Equal(orgId, payload.GetProperty("org_id").GetString());
        Assert.Equal("platform.keys platform.secrets", payload.GetProperty("scope").GetString());
        var audience = payload.GetProperty("aud");
        Assert.Equal("platform-api", audience.ValueKind == JsonValueKind.Array ? audience[0].GetString() : audience.GetString());
        Assert.Equal(600, payload.GetProperty("exp").GetInt64() - payload.GetProperty("iat").GetInt64());
        var jwks = await fixture.Client().GetFromJsonAsync<JsonElement>("/.well-known/jwks");
        Assert.Contains(jwks.GetProperty("keys").EnumerateArray(), k => k.GetProperty("kid").GetString() == header.GetProperty("kid").GetString());

        // Wrong secret, unknown scope: OAuth errors, no token.
        var wrong = await ClientCredentialsAsync(clientId, secret[..^2] + "xx");
        Assert.Equal("invalid_client", (await wrong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        var unknownScope = await ClientCredentialsAsync(clientId, secret, "platform.keys admin");
        Assert.Equal("invalid_scope", (await unknownScope.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        // The retired all-powerful scope, and a platform scope the client was not given, are refused too.
        var retired = await ClientCredentialsAsync(clientId, secret, "platform");
        Assert.Equal("invalid_scope", (await retired.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        var notGiven = await ClientCredentialsAsync(clientId, secret, "platform.audit");
        Assert.NotEqual(HttpStatusCode.OK, notGiven.StatusCode);

        // Neither the secret nor the token reaches any log line (everything is logged at Trace in these tests).
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(token, StringComparison.Ordinal));

        // Client-credentials access tokens are stateless JWTs: no row in the token store.
        await using (var rows = fixture.Database.CreateCommand(
            "SELECT count(*) FROM oidc.\"OpenIddictTokens\" t JOIN oidc.\"OpenIddictApplications\" a ON a.\"Id\" = t.\"ApplicationId\" WHERE a.\"ClientId\" = $1"))
        {
            rows.Parameters.AddWithValue(clientId);
            Assert.Equal(0L, (long)(await rows.ExecuteScalarAsync())!);
        }

        // The client secret is stored as a hash only.
        await using var stored = fixture.Database.CreateCommand("SELECT \"ClientSecret\" FROM oidc.\"OpenIddictApplications\" WHERE \"ClientId\" = $1");
        stored.Parameters.AddWithValue(clientId);
        var hash = (string)(await stored.ExecuteScalarAsync())!;
        Assert.StartsWith("sha256:", hash, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, hash, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing", "invalid_request")]
    [InlineData("plain", "invalid_request")]
    [InlineData("redirect", "invalid_request")]
    [InlineData("scope", "invalid_scope")]
    public async Task Authorization_requests_without_S256_PKCE_or_with_unregistered_redirects_or_scopes_are_refused(string fault, string error)
    {
        var (admin, orgId) = await AdministratorAsync();
        var client = await CreateClientAsync(admin, orgId, new { name = "app", type = "spa", scopes = new[] { "openid", "platform.keys" }, redirectUris = new[] { "https://app.example/cb" } });
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = client.GetProperty("clientId").GetString(),
            ["response_type"] = "code",
            ["redirect_uri"] = fault == "redirect" ? "https://app.example/cb/other" : "https://app.example/cb",
            ["scope"] = fault == "scope" ? "openid platform.keys admin" : "openid platform.keys",
            ["state"] = "s1",
            ["code_challenge"] = fault == "missing" ? null : "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ["code_challenge_method"] = fault switch { "missing" => null, "plain" => "plain", _ => "S256" },
        };
        var url = Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/connect/authorize", query.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
        var response = await admin.Http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        var location = response.Headers.Location?.ToString() ?? "";
        // Errors go back to a registered redirect URI; an unregistered one never receives anything.
        Assert.True(location.Contains($"error={error}", StringComparison.Ordinal) || text.Contains(error, StringComparison.Ordinal), $"{response.StatusCode} {location} {text}");
        Assert.DoesNotContain("code=", location, StringComparison.Ordinal);
        if (fault == "redirect") Assert.DoesNotContain("app.example", location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotating_the_signing_key_keeps_the_old_key_published_and_old_tokens_valid()
    {
        var (admin, orgId) = await AdministratorAsync();
        var client = await CreateClientAsync(admin, orgId, new { name = "ci", type = "machine", scopes = new[] { "platform.keys", "platform.secrets" } });
        var clientId = client.GetProperty("clientId").GetString()!;
        var secret = client.GetProperty("clientSecret").GetString()!;
        var before = (await (await ClientCredentialsAsync(clientId, secret)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;

        await fixture.Service.Services.GetRequiredService<SigningKeyRotator>().RotateAsync(force: true, CancellationToken.None);

        var after = (await (await ClientCredentialsAsync(clientId, secret)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        var oldKid = Header(before).GetProperty("kid").GetString();
        var newKid = Header(after).GetProperty("kid").GetString();
        Assert.NotEqual(oldKid, newKid);
        var kids = (await fixture.Client().GetFromJsonAsync<JsonElement>("/.well-known/jwks")).GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()).ToList();
        Assert.Contains(oldKid, kids);
        Assert.Contains(newKid, kids);

        // The old token still introspects as active; the stored key is encrypted.
        var introspection = await fixture.Client().PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["token"] = before,
        }));
        Assert.True((await introspection.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("active").GetBoolean());
        await using var keys = fixture.Database.CreateCommand("SELECT encrypted_key FROM signing_keys WHERE id = $1");
        keys.Parameters.AddWithValue(newKid!);
        var encrypted = (byte[])(await keys.ExecuteScalarAsync())!;
        Assert.Equal(1, encrypted[0]);
        Assert.DoesNotContain("BEGIN", Encoding.ASCII.GetString(encrypted), StringComparison.Ordinal);
    }
}
