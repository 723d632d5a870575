using System.Net;
using Microsoft.AspNetCore.Authorization;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Auditing;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;
using Platform.Security.Tokens;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Authorization;

/// <summary>The route's own requirements (<see cref="RouteAccess"/>, from its YARP metadata) on the request's one principal.</summary>
internal sealed class RouteAccessRequirement : IAuthorizationRequirement
{
    public static readonly RouteAccessRequirement Instance = new();
}

/// <summary>
/// Holds the request's one principal to what its route declares (SPEC GW-AUTH, GW-SCOPE, KEY-SCOPE, ID-MFA):
/// <list type="bullet">
/// <item>a key: its own IP allowlist (403 <c>ip-not-allowed</c> and a <c>key.used-from-disallowed-ip</c> audit event),
/// the route's environment (403 <c>wrong-environment</c>) and permission at one of its levels (403
/// <c>insufficient-scope</c>);</item>
/// <item>an access token: a keys-only route is 403 <c>api-key-required</c>; then the route's roles (403
/// <c>insufficient-role</c>), its OAuth scopes, all of them (403 <c>insufficient-scope</c> with an RFC 6750
/// challenge), and a recent second factor (401 <c>step-up-required</c>, RFC 9470);</item>
/// <item>no principal: a route that needs a key is refused (401 <c>api-key-required</c>, by <see cref="ProblemResultHandler"/>).</item>
/// </list>
/// </summary>
internal sealed partial class RouteAccessHandler(AccessTokenValidator tokens, AuditSpool audit, TimeProvider time, ILogger<RouteAccessHandler> logger)
    : AuthorizationHandler<RouteAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RouteAccessRequirement requirement)
    {
        if (context.Resource is not HttpContext http) return Task.CompletedTask;
        var access = http.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config is { } route ? RouteAccess.Of(route) : RouteAccess.Open;
        var principal = http.Principal();
        var refusal = principal switch
        {
            { Key: { } key } => KeyRefusal(http, access, key),
            { Token: { } token } => TokenRefusal(access, principal, token),
            _ => access.Permission is null ? null : new RouteRefusal(this, 401, "api-key-required", "An API key is required", "Send a key as 'Authorization: Bearer sk_…' or 'X-Api-Key'.", "Bearer"),
        };

        if (refusal is null) context.Succeed(requirement);
        else context.Fail(refusal);
        return Task.CompletedTask;
    }

    private RouteRefusal? KeyRefusal(HttpContext http, RouteAccess access, KeyVerification key)
    {
        var client = http.ClientAddress();
        if (!FromAllowedAddress(key, client))
        {
            LogDisallowedAddress(logger, key.KeyId!);
            audit.Enqueue(new AuditRecorded
            {
                OccurredAt = time.GetUtcNow(),
                OrganizationId = key.OrganizationId,
                Actor = key.KeyId!,
                Action = "key.used-from-disallowed-ip",
                Target = key.KeyId,
                Outcome = "denied",
                Ip = client?.ToString(),
                RequestId = http.TraceIdentifier,
            });
            return new RouteRefusal(this, 403, "ip-not-allowed", "Not allowed from this address", "This key may not be used from the address the request came from.");
        }

        if (access.Environment is { } environment && environment != key.Environment)
        {
            return new RouteRefusal(this, 403, "wrong-environment", "The key is for another environment", $"This route takes '{environment}' keys.");
        }

        if (access.Permission is { } permission && !key.Allows(permission, access.Levels))
        {
            return new RouteRefusal(this, 403, "insufficient-scope", "The key lacks the scope this route needs",
                $"This route needs '{permission}' at one of: {string.Join(", ", access.Levels)}.");
        }

        return null;
    }

    private RouteRefusal? TokenRefusal(RouteAccess access, PlatformPrincipal principal, AccessTokenPrincipal token)
    {
        if (access is { Permission: not null, Roles: null })
        {
            return new RouteRefusal(this, 403, "api-key-required", "This route takes API keys", "Call it with an API key that has the scope it needs.");
        }

        if (access.Roles is { } roles && !roles.Intersect(token.Roles, StringComparer.Ordinal).Any())
        {
            return new RouteRefusal(this, 403, "insufficient-role", "Your role does not allow this", $"This route needs one of these organization roles: {string.Join(",", roles)}.");
        }

        if (access.Scopes.Length > 0 && !access.Scopes.All(scope => principal.TokenScopes.Contains(scope, StringComparer.Ordinal)))
        {
            return new RouteRefusal(this, 403, "insufficient-scope", "The token lacks the scope this route needs",
                $"This route needs an access token granted: {access.ScopeParameter}.", $"Bearer error=\"insufficient_scope\", scope=\"{access.ScopeParameter}\"");
        }

        if (access.StepUp && !tokens.HasRecentMfa(token))
        {
            return new RouteRefusal(this, 401, "step-up-required", "Confirm it is you",
                $"This action needs a multi-factor sign-in within the last {(int)tokens.Settings.StepUpMaxAge.TotalMinutes} minutes. Sign in again with your second factor.",
                tokens.StepUpChallenge);
        }

        return null;
    }

    private static bool FromAllowedAddress(KeyVerification key, IPAddress? address)
    {
        if (key.AllowedCidrs is not { Count: > 0 } cidrs) return true;
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in KeyDetails.Networks(cidrs))
        {
            if (network.Contains(address)) return true;
        }

        return false;
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Key {KeyId} was used from an address outside its allowlist")]
    private static partial void LogDisallowedAddress(ILogger logger, string keyId);
}
