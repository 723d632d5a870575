using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Hosting.Testing;

/// <summary>
/// Access tokens shaped like the identity service's (see services/identity/README.md, "Token contract"), signed by a key of
/// the test process whose JWKS <see cref="JwksHandler"/> serves to the service under test.
/// </summary>
public static class IdentityTokens
{
    public const string Issuer = "https://identity.test/";
    public const string JwksUrl = "http://identity.test/.well-known/jwks";

    public static readonly ECDsaSecurityKey SigningKey = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "platform-tests" };

    public static string Create(TimeProvider clock, string organization, string[] roles, bool mfa, TimeSpan authenticatedAgo,
        string subject, string scope, string audience = "platform-api", SecurityKey? key = null, TimeSpan? lifetime = null)
    {
        var now = clock.GetUtcNow();
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            TokenType = "at+jwt",
            Claims = new Dictionary<string, object>
            {
                ["sub"] = subject,
                ["org_id"] = organization,
                ["roles"] = roles,
                ["amr"] = mfa ? new[] { "pwd", "otp", "mfa" } : new[] { "pwd" },
                ["auth_time"] = (now - authenticatedAgo).ToUnixTimeSeconds(),
                // Contract item 1: the granted scopes, space-separated (RFC 8693 section 4.2).
                ["scope"] = scope,
            },
            // The service's clock is a fake one: the token's times come from it, not from the machine's.
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddMinutes(-1),
            Expires = (now + (lifetime ?? TimeSpan.FromMinutes(10))).UtcDateTime,
            SigningCredentials = new SigningCredentials(key ?? SigningKey, SecurityAlgorithms.EcdsaSha256),
        });
    }

    /// <summary>Answers the JWKS request with <see cref="SigningKey"/>'s public half.</summary>
    public sealed class JwksHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri != new Uri(JwksUrl)) return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
            var jwk = JsonWebKeyConverter.ConvertFromECDsaSecurityKey(SigningKey);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = JsonContent.Create(new { keys = new[] { new { kty = jwk.Kty, crv = jwk.Crv, x = jwk.X, y = jwk.Y, kid = jwk.Kid, use = "sig", alg = "ES256" } } }),
            });
        }
    }
}
