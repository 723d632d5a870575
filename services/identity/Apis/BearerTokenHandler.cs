using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Identity.Oidc;

namespace Platform.Identity.Apis;

/// <summary>
/// Identity's own access tokens on its organization APIs (<c>Authorization: Bearer</c>): a JWT signed by a key of the
/// ring (the current one or a retained one, so rotation breaks nothing), of type <c>at+jwt</c>, for this issuer and
/// the API audience, within its lifetime. What it may do (the <c>platform.organizations</c> scope, its organization)
/// is <see cref="ApiAccess"/>'s to decide.
/// </summary>
internal sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemes,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SigningKeyRing ring,
    IOptions<IdentityOptions> identity,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(schemes, logger, encoder)
{
    public const string SchemeName = "Identity.Bearer";
    private static readonly JsonWebTokenHandler Tokens = new() { MapInboundClaims = false };

    /// <summary>Whether the request carries a bearer credential at all (whatever it is worth).</summary>
    public static bool IsPresent(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!IsPresent(Request)) return AuthenticateResult.NoResult();
        var token = Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        var settings = identity.Value;
        var result = await Tokens.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Tokens.Audience,
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256],
            IssuerSigningKeys = ring.Keys,
            ClockSkew = TimeSpan.FromSeconds(30),
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires is { } end && clock.GetUtcNow().UtcDateTime <= end.AddSeconds(30) && (notBefore is null || notBefore <= clock.GetUtcNow().UtcDateTime.AddSeconds(30)),
            NameClaimType = "sub",
        });
        return result.IsValid
            ? AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(result.ClaimsIdentity), SchemeName))
            : AuthenticateResult.Fail("The access token is not valid.");
    }
}
