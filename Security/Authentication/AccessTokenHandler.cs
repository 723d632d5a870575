using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Security.Tokens;

namespace Platform.Security.Authentication;

/// <summary>
/// An identity access token the service validates itself from identity's JWKS (<see cref="AccessTokenValidator"/>),
/// rather than trusting the gateway's headers: the user or client, its organization, roles, scopes and authentication.
/// </summary>
public sealed partial class AccessTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AccessTokenValidator.TryReadBearer(Request, out var token)) return AuthenticateResult.NoResult();
        var validator = Context.RequestServices.GetService<AccessTokenValidator>();
        if (validator is not { Settings.Enabled: true }) return AuthenticateResult.Fail("Access tokens are not accepted here.");

        var (principal, refusal) = await validator.ValidateAsync(token, Context.RequestAborted);
        if (principal is null)
        {
            LogRefused(Logger, refusal ?? "invalid");
            return AuthenticateResult.Fail("The access token is not valid.");
        }

        var identity = new ClaimsIdentity(Scheme.Name, PlatformClaims.Actor, PlatformClaims.Role);
        identity.AddClaim(new(PlatformClaims.Kind, PrincipalKinds.User));
        identity.AddClaim(new(PlatformClaims.Actor, principal.Subject));
        if (principal.OrganizationId is { } organization) identity.AddClaim(new(PlatformClaims.Organization, organization));
        foreach (var role in principal.Roles) identity.AddClaim(new(PlatformClaims.Role, role));
        foreach (var scope in principal.Scopes) identity.AddClaim(new(PlatformClaims.Scope, scope));
        foreach (var method in principal.Methods) identity.AddClaim(new(PlatformClaims.AuthenticationMethod, method));
        if (principal.AuthTime is { } authTime) identity.AddClaim(new(PlatformClaims.AuthTime, authTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        if (ClientAddresses.FromGateway(Context) is { } address) identity.AddClaim(new(PlatformClaims.ClientAddress, address));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        PlatformProblems.WriteAsync(Context, 401, "invalid-token", "The access token is not valid",
            "The token is malformed, expired, not for this API or not signed by the identity service.", challenge: "Bearer error=\"invalid_token\"");

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "An access token was refused ({Reason})")]
    private static partial void LogRefused(ILogger logger, string reason);
}
