using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// A scriptable OpenID Connect provider on loopback (http, which the fixture allows for loopback issuers) for the
/// attack tests: it checks what a real IdP checks of the relying party (client secret, redirect URI, PKCE S256) and
/// answers with an ID token whose claims a test can change (wrong iss, aud, nonce, email_verified…). The real,
/// independent IdP (npm oidc-provider) is used by the browser test.
/// </summary>
public sealed class FakeIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly RSA key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, (string Nonce, string Challenge, string RedirectUri, string? Email)> codes = new();
    private readonly Func<DateTimeOffset> now;

    public string Issuer { get; }

    public string ClientId { get; } = "platform-" + Guid.NewGuid().ToString("n")[..8];

    public string ClientSecret { get; } = "idp-secret-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Changes the next ID tokens' claims (null: none).</summary>
    public Action<Dictionary<string, object>>? Tamper { get; set; }

    public string Subject { get; set; } = "idp-user-1";

    /// <summary>The userinfo answer's claims besides <c>sub</c> (which is <see cref="Subject"/> unless set here); null: only <c>sub</c>.</summary>
    public Dictionary<string, object>? Userinfo { get; set; }

    /// <summary>How many userinfo requests came with the access token of a code exchange.</summary>
    public int UserinfoCalls => userinfoCalls;

    private int userinfoCalls;

    private FakeIdentityProvider(WebApplication app, string issuer, Func<DateTimeOffset> now)
    {
        this.app = app;
        Issuer = issuer;
        this.now = now;
    }

    public static async Task<FakeIdentityProvider> StartAsync(Func<DateTimeOffset> now)
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var idp = new FakeIdentityProvider(app, $"http://127.0.0.1:{port}", now);
        idp.Map();
        await app.StartAsync();
        return idp;
    }

    private void Map()
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["userinfo_endpoint"] = Issuer + "/userinfo",
            ["response_types_supported"] = new[] { "code" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.ExportParameters(false)) { KeyId = "k1" });
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", kid = "k1", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        app.MapGet("/authorize", (HttpContext http) =>
        {
            var q = http.Request.Query;
            if (q["client_id"] != ClientId || q["response_type"] != "code" || q["code_challenge_method"] != "S256") return Results.BadRequest();
            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            codes[code] = (q["nonce"].ToString(), q["code_challenge"].ToString(), q["redirect_uri"].ToString(), q["login_hint"].ToString());
            return Results.Redirect($"{q["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}");
        });
        app.MapGet("/userinfo", (HttpContext http) =>
        {
            if (http.Request.Headers.Authorization.ToString() != "Bearer opaque-" + ClientId) return Results.Json(new { error = "invalid_token" }, statusCode: 401);
            Interlocked.Increment(ref userinfoCalls);
            var answer = new Dictionary<string, object> { ["sub"] = Subject };
            foreach (var (name, value) in Userinfo ?? []) answer[name] = value;
            return Results.Json(answer);
        });
        app.MapPost("/token", async (HttpContext http) =>
        {
            var form = await http.Request.ReadFormAsync();
            var basic = http.Request.Headers.Authorization.ToString();
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(ClientId)}:{Uri.EscapeDataString(ClientSecret)}"));
            if (basic != expected) return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            if (!codes.TryRemove(form["code"].ToString(), out var grant)) return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            var challenge = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
            if (challenge != grant.Challenge || form["redirect_uri"] != grant.RedirectUri) return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            var at = now();
            var claims = new Dictionary<string, object>
            {
                ["iss"] = Issuer,
                ["aud"] = ClientId,
                ["sub"] = Subject,
                ["email"] = grant.Email ?? "",
                ["email_verified"] = true,
                ["nonce"] = grant.Nonce,
                ["iat"] = at.ToUnixTimeSeconds(),
                ["exp"] = at.AddMinutes(5).ToUnixTimeSeconds(),
            };
            Tamper?.Invoke(claims);
            var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
            {
                Claims = claims,
                SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "k1" }, SecurityAlgorithms.RsaSha256),
            });
            return Results.Json(new { access_token = "opaque-" + ClientId, token_type = "Bearer", expires_in = 300, id_token = token });
        });
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await app.DisposeAsync();
        key.Dispose();
    }
}

/// <summary>The TXT records the service reads while the tests run (registered in place of DNS).</summary>
public sealed class TestTxtResolver : Platform.Identity.Sso.IDomainTxtResolver
{
    private readonly ConcurrentDictionary<string, string[]> records = new(StringComparer.OrdinalIgnoreCase);

    public void Set(string name, params string[] values) => records[name] = values;

    public Task<IReadOnlyList<string>> TxtRecordsAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>(records.TryGetValue(name, out var values) ? values : []);
}
