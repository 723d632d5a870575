using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Platform.Security.Authentication;

/// <summary>
/// Static operator and service credentials (<see cref="IOperatorCredentialSource"/>), as <c>Authorization: Bearer</c>.
/// Compared as SHA-256 hashes in constant time against every entry, without an early exit. Accepted only on a direct
/// call: a request carrying any <c>X-Platform-*</c> header came through the gateway, where no operator credential is
/// honoured (contract item 3); and only from the credential's networks. Every use and every refusal of a known
/// credential is an audit event with actor <c>operator:&lt;name&gt;</c>.
/// </summary>
public sealed partial class OperatorCredentialHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, OperatorCredentialSet credentials, ISecurityAudit audit)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string ThroughGateway = "through-gateway";
    private const string OutsideNetworks = "outside-networks";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (credentials.Match(Request) is not { } credential) return AuthenticateResult.Fail("unknown");

        var address = ClientAddresses.Connection(Context);
        var refusal = CredentialKinds.CameThroughGateway(Request) ? ThroughGateway : !credential.AllowsFrom(address) ? OutsideNetworks : null;
        var actor = Actor(credential);
        if (refusal is not null)
        {
            LogRefused(Logger, credential.Name, refusal);
            await RecordAsync(credential, "operator.credential-refused", "denied", new() { ["reason"] = refusal });
            return AuthenticateResult.Fail(refusal);
        }

        var identity = new ClaimsIdentity(Scheme.Name, PlatformClaims.Actor, PlatformClaims.Role);
        identity.AddClaim(new(PlatformClaims.Kind, PrincipalKinds.Operator));
        identity.AddClaim(new(PlatformClaims.Actor, actor));
        identity.AddClaim(new(PlatformClaims.OperatorRole, credential.Role));
        foreach (var organization in credential.Organizations) identity.AddClaim(new(PlatformClaims.OperatorOrganization, organization));
        if (address is not null) identity.AddClaim(new(PlatformClaims.ClientAddress, address.ToString()));
        if (credential.Audited)
        {
            // After the answer, so that the event says how the request ended; the server awaits it before the request ends.
            Response.OnCompleted(() => RecordAsync(credential, "operator.request", Response.StatusCode < 400 ? "succeeded" : "denied",
                new() { ["method"] = Request.Method, ["path"] = Request.Path.Value ?? "", ["status"] = Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        await (result.Failure?.Message switch
        {
            ThroughGateway => PlatformProblems.WriteAsync(Context, 401, "unauthenticated", "Authentication required",
                "Operator and service credentials are accepted only on direct calls to the service, never through the gateway.", challenge: "Bearer"),
            OutsideNetworks => PlatformProblems.WriteAsync(Context, 403, "ip-not-allowed", "Not allowed from this address",
                "This credential may not be used from the address the request came from."),
            _ => PlatformProblems.WriteAsync(Context, 401, "unauthenticated", "Authentication required",
                "Send a valid credential as 'Authorization: Bearer <token>'.", challenge: "Bearer"),
        });
    }

    public static string Actor(OperatorCredential credential) => "operator:" + credential.Name;

    private Task RecordAsync(OperatorCredential credential, string action, string outcome, Dictionary<string, string> details)
    {
        details["credential"] = credential.Role;
        var organization = Context.GetRouteValue("organizationId") as string;
        // Awaited, not fired and forgotten: no database write outlives its request (or the host). The sink handles its
        // own failures (logged), so a failing audit write never fails the request.
        return audit.RecordAsync(new SecurityAuditEntry(Actor(credential), action, organization, Request.Path.Value, outcome,
            ClientAddresses.Connection(Context)?.ToString(), Refusals.RequestId(Context), details), CancellationToken.None);
    }

    [LoggerMessage(EventId = 2310, Level = LogLevel.Warning, Message = "Operator credential {Name} refused ({Reason})")]
    private static partial void LogRefused(ILogger logger, string name, string reason);
}

/// <summary>The credentials of <see cref="IOperatorCredentialSource"/>, hashed once.</summary>
public sealed class OperatorCredentialSet(IOperatorCredentialSource source)
{
    private const int MaxHeaderLength = 1024;
    private readonly (OperatorCredential Credential, byte[] Hash)[] entries =
        source.Credentials.Select(c => (c, SHA256.HashData(Encoding.UTF8.GetBytes(c.Token)))).ToArray();

    public OperatorCredential? Match(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { Length: <= MaxHeaderLength } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return null;

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(value["Bearer ".Length..].Trim()));
        OperatorCredential? match = null;
        foreach (var (credential, hash) in entries)
        {
            // No early exit: the time taken does not depend on which entry, if any, matched.
            if (CryptographicOperations.FixedTimeEquals(presented, hash)) match = credential;
        }

        return match;
    }
}
