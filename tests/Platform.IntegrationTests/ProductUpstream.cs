using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.IntegrationTests;

/// <summary>
/// Plays the customer's product API behind the gateway: it answers every request with the headers it received,
/// so tests can see exactly what the gateway passes upstream.
/// </summary>
public sealed class ProductUpstream : IAsyncDisposable
{
    private readonly WebApplication app;

    private ProductUpstream(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public Uri Address { get; }

    public const string TokenIssuer = "https://identity.test/";

    public static readonly Microsoft.IdentityModel.Tokens.ECDsaSecurityKey SigningKey =
        new(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)) { KeyId = "integration" };

    /// <summary>An access token as the identity service would issue it, for a user of <paramref name="organization"/>.</summary>
    public static string UserToken(string organization, string subject = "usr_integration", params string[] roles) =>
        new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().CreateToken(new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
        {
            Issuer = TokenIssuer,
            Audience = "platform-api",
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject, ["org_id"] = organization, ["roles"] = roles.Length == 0 ? new[] { "Developer" } : roles,
                ["amr"] = new[] { "pwd", "mfa" }, ["auth_time"] = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(),
            },
            Expires = TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(10),
            SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(SigningKey, Microsoft.IdentityModel.Tokens.SecurityAlgorithms.EcdsaSha256),
        });

    public static async Task<ProductUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        // Also plays the identity service's JWKS, so tests can sign user tokens the gateway accepts.
        app.Use((context, next) =>
        {
            if (context.Request.Path != "/.well-known/jwks") return next(context);
            var jwk = Microsoft.IdentityModel.Tokens.JsonWebKeyConverter.ConvertFromECDsaSecurityKey(SigningKey);
            return context.Response.WriteAsJsonAsync(new { keys = new[] { new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, use = "sig", alg = "ES256" } } });
        });
        app.Run(context => context.Response.WriteAsJsonAsync(new
        {
            method = context.Request.Method,
            path = context.Request.Path.Value,
            headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
        }));
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new ProductUpstream(app, address);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
