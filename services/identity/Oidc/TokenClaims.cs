using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;
using OidcDestinations = OpenIddict.Abstractions.OpenIddictConstants.Destinations;

namespace Platform.Identity.Oidc;

/// <summary>
/// The token contract the gateway relies on: <c>sub</c>, <c>org_id</c>, <c>roles</c> (JSON array), <c>amr</c> (JSON
/// array, RFC 8176), <c>auth_time</c> (seconds since the epoch), <c>scope</c>, <c>aud</c> = the API audience.
/// </summary>
internal static class TokenClaims
{
    public const string OrganizationId = "org_id";
    public const string Roles = "roles";

    /// <summary>The session the tokens were signed in from, by its public handle (OIDC Core section 2, Front-Channel Logout's sid).</summary>
    public const string SessionId = "sid";

    public static ClaimsIdentity NewIdentity() =>
        new(Microsoft.IdentityModel.Tokens.TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Roles);

    public static void SetArray(ClaimsIdentity identity, string type, IEnumerable<string> values)
    {
        foreach (var existing in identity.FindAll(type).ToList()) identity.RemoveClaim(existing);
        identity.AddClaim(new Claim(type, JsonSerializer.Serialize(values.ToArray()), JsonClaimValueTypes.JsonArray));
    }

    public static void SetAuthTime(ClaimsIdentity identity, DateTimeOffset time)
    {
        foreach (var existing in identity.FindAll(Claims.AuthenticationTime).ToList()) identity.RemoveClaim(existing);
        identity.AddClaim(new Claim(Claims.AuthenticationTime, time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), ClaimValueTypes.Integer64));
    }

    /// <summary>Which tokens each claim goes to (OpenIddict drops claims without a destination).</summary>
    public static IEnumerable<string> DestinationsOf(Claim claim) => claim.Type switch
    {
        Claims.Subject or OrganizationId or Roles or Claims.AuthenticationMethodReference or Claims.AuthenticationTime or SessionId
            => [OidcDestinations.AccessToken, OidcDestinations.IdentityToken],
        Claims.Email when claim.Subject?.HasScope(Scopes.Email) == true => [OidcDestinations.IdentityToken],
        _ => [],
    };
}
