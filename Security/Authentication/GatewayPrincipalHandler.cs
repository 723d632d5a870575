using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Security.Gateway;

namespace Platform.Security.Authentication;

/// <summary>
/// The principal the gateway verified: <c>X-Platform-Organization</c> and either an API key (<c>-Key-Id</c>,
/// <c>-Environment</c>, <c>-Scopes</c> as space-separated <c>permission:level</c>) or a user (<c>-User</c>,
/// <c>-Roles</c>). With <c>GatewaySigning:Key</c> set, headers the gateway did not sign within its max age are refused
/// (someone reaching the service past the gateway); without a key they are trusted, and the service must only be
/// reachable through the gateway.
/// </summary>
public sealed class GatewayPrincipalHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string OrganizationHeader = "X-Platform-Organization";
    public const string EnvironmentHeader = "X-Platform-Environment";
    public const string ScopesHeader = "X-Platform-Scopes";
    public const string RolesHeader = "X-Platform-Roles";
    private const int MaxValueLength = 100;
    private const string UnsignedMessage = "unsigned";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers;
        var key = headers[CredentialKinds.KeyIdHeader];
        var user = headers[CredentialKinds.UserHeader];
        if (key.Count == 0 && user.Count == 0) return Task.FromResult(AuthenticateResult.NoResult());

        if (Context.RequestServices.GetService<GatewaySignatureVerifier>() is { Enabled: true } verifier && !verifier.Verify(Request))
        {
            return Task.FromResult(AuthenticateResult.Fail(UnsignedMessage));
        }

        if (headers[OrganizationHeader] is not [{ Length: > 0 and <= MaxValueLength } organization]) return Task.FromResult(AuthenticateResult.Fail("No organization."));
        var identity = new ClaimsIdentity(Scheme.Name, PlatformClaims.Actor, PlatformClaims.Role);
        identity.AddClaim(new(PlatformClaims.Organization, organization));
        if (key is [{ Length: > 0 and <= MaxValueLength } keyId])
        {
            identity.AddClaim(new(PlatformClaims.Kind, PrincipalKinds.ApiKey));
            identity.AddClaim(new(PlatformClaims.Actor, keyId));
            if (headers[EnvironmentHeader] is not [var environment] || environment is not ("live" or "test")) return Task.FromResult(AuthenticateResult.Fail("No key environment."));
            identity.AddClaim(new(PlatformClaims.Environment, environment));
            foreach (var scope in Split(headers[ScopesHeader])) identity.AddClaim(new(PlatformClaims.KeyScope, scope));
        }
        else if (user is [{ Length: > 0 and <= MaxValueLength } userId])
        {
            identity.AddClaim(new(PlatformClaims.Kind, PrincipalKinds.User));
            identity.AddClaim(new(PlatformClaims.Actor, userId));
            foreach (var role in Split(headers[RolesHeader])) identity.AddClaim(new(PlatformClaims.Role, role));
        }
        else
        {
            return Task.FromResult(AuthenticateResult.Fail("Malformed principal headers."));
        }

        if (ClientAddresses.FromGateway(Context) is { } address) identity.AddClaim(new(PlatformClaims.ClientAddress, address));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var unsigned = (await HandleAuthenticateOnceSafeAsync()).Failure?.Message == UnsignedMessage;
        await PlatformProblems.WriteAsync(Context, 401, "unauthenticated", "Authentication required",
            unsigned ? "Call this API through the gateway: the request does not carry the gateway's signature." : "Call this API through the gateway with an API key or an access token.",
            challenge: "Bearer");
    }

    private static string[] Split(Microsoft.Extensions.Primitives.StringValues values) =>
        values.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
