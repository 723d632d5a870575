using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>
/// Plays the identity service for the gateway: signs access tokens with EC keys and publishes the public halves as a
/// JWKS, so tests can make valid, expired, foreign and forged tokens and rotate the signing key.
/// </summary>
public sealed class TokenIssuer : IAsyncDisposable
{
    public const string Issuer = "https://identity.test/";
    public const string Audience = "platform-api";

    /// <summary>Every API scope (SPEC ID-OIDC): what a token gets unless a test says otherwise.</summary>
    public const string AllScopes = "openid platform.keys platform.secrets platform.organizations platform.audit";

    private readonly WebApplication _app;
    private readonly List<ECDsaSecurityKey> _published = [];

    private TokenIssuer(WebApplication app) => _app = app;

    public Uri JwksUrl { get; private set; } = null!;

    public ECDsaSecurityKey Current { get; private set; } = null!;

    public int JwksRequests;

    public static async Task<TokenIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var issuer = new TokenIssuer(app);
        issuer.Rotate();
        app.MapGet("/.well-known/jwks", () =>
        {
            Interlocked.Increment(ref issuer.JwksRequests);
            lock (issuer._published)
            {
                var keys = issuer._published.Select(k =>
                {
                    var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(k);
                    return new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, use = "sig", alg = "ES256" };
                }).ToArray();
                return Results.Json(new { keys });
            }
        });
        await app.StartAsync();
        issuer.JwksUrl = new Uri(new Uri(app.Urls.First()), "/.well-known/jwks");
        return issuer;
    }

    /// <summary>A new signing key, published beside the old ones.</summary>
    public ECDsaSecurityKey Rotate()
    {
        var key = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = Guid.NewGuid().ToString("n") };
        lock (_published) _published.Add(key);
        Current = key;
        return key;
    }

    /// <summary>A key that signs but is never published.</summary>
    public static ECDsaSecurityKey Unpublished() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = Guid.NewGuid().ToString("n") };

    public string Token(
        string subject = "usr_1", string? organization = "org_1", string[]? roles = null, string[]? amr = null, DateTimeOffset? authTime = null,
        DateTimeOffset? expires = null, string issuer = Issuer, string audience = Audience, SecurityKey? key = null, string? scope = AllScopes)
    {
        var now = TimeProvider.System.GetUtcNow();
        var claims = new Dictionary<string, object>
        {
            ["sub"] = subject,
            ["roles"] = roles ?? ["Developer"],
            ["amr"] = amr ?? ["pwd"],
            ["auth_time"] = (authTime ?? now).ToUnixTimeSeconds(),
        };
        if (scope is not null) claims["scope"] = scope;
        if (organization is not null) claims["org_id"] = organization;
        var signingKey = key ?? Current;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = now.AddMinutes(-1).UtcDateTime,
            NotBefore = now.AddMinutes(-1).UtcDateTime,
            Expires = (expires ?? now.AddMinutes(10)).UtcDateTime,
            SigningCredentials = new SigningCredentials(signingKey, signingKey is SymmetricSecurityKey ? SecurityAlgorithms.HmacSha256 : SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>An unsigned token ("alg": "none") with otherwise valid claims.</summary>
    public static string Unsigned(string subject = "usr_1")
    {
        static string Encode(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        return Encode(new { alg = "none", typ = "JWT" }) + "." + Encode(new { iss = Issuer, aud = Audience, sub = subject, org_id = "org_1", exp = now + 600, nbf = now - 60 }) + ".";
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
