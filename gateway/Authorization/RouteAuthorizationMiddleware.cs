using System.Net;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Auditing;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;
using Platform.Gateway.Problems;
using Platform.ServiceDefaults.Tokens;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Authorization;

/// <summary>
/// Holds the request's one principal to what its route declares (<see cref="RouteAccess"/>; SPEC GW-AUTH, GW-SCOPE,
/// KEY-SCOPE, ID-MFA), after it was authenticated and its limits were charged:
/// <list type="bullet">
/// <item>a key: its own IP allowlist (403 <c>ip-not-allowed</c> and a <c>key.used-from-disallowed-ip</c> audit event),
/// the route's environment (403 <c>wrong-environment</c>) and permission at one of its levels (403
/// <c>insufficient-scope</c>);</item>
/// <item>an access token: a keys-only route is 403 <c>api-key-required</c>; then the route's roles (403
/// <c>insufficient-role</c>), its OAuth scopes, all of them (403 <c>insufficient-scope</c> with an RFC 6750
/// challenge), and a recent second factor (401 <c>step-up-required</c>, RFC 9470);</item>
/// <item>no principal: a route that needs a key is 401 <c>api-key-required</c>.</item>
/// </list>
/// </summary>
internal sealed partial class RouteAuthorizationMiddleware(
    RequestDelegate next, AccessTokenValidator tokens, AuditSpool audit, TimeProvider time, ILogger<RouteAuthorizationMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var access = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config is { } route ? RouteAccess.Of(route) : RouteAccess.Open;
        var principal = context.Principal();
        if (principal?.Key is { } key) return KeyAsync(context, access, key);
        if (principal?.Token is { } token) return TokenAsync(context, access, principal, token);
        if (access.Permission is not null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return EdgeProblem.WriteAsync(context, 401, "api-key-required", "An API key is required", "Send a key as 'Authorization: Bearer sk_…' or 'X-Api-Key'.");
        }

        return next(context);
    }

    private Task KeyAsync(HttpContext context, RouteAccess access, KeyVerification key)
    {
        var client = context.ClientAddress();
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
                RequestId = context.TraceIdentifier,
            });
            return EdgeProblem.WriteAsync(context, 403, "ip-not-allowed", "Not allowed from this address", "This key may not be used from the address the request came from.");
        }

        if (access.Environment is { } environment && environment != key.Environment)
        {
            return EdgeProblem.WriteAsync(context, 403, "wrong-environment", "The key is for another environment", $"This route takes '{environment}' keys.");
        }

        if (access.Permission is { } permission && !key.Allows(permission, access.Levels))
        {
            return EdgeProblem.WriteAsync(context, 403, "insufficient-scope", "The key lacks the scope this route needs",
                $"This route needs '{permission}' at one of: {string.Join(", ", access.Levels)}.");
        }

        return next(context);
    }

    private Task TokenAsync(HttpContext context, RouteAccess access, PlatformPrincipal principal, AccessTokenPrincipal token)
    {
        if (access is { Permission: not null, Roles: null })
        {
            return EdgeProblem.WriteAsync(context, 403, "api-key-required", "This route takes API keys", "Call it with an API key that has the scope it needs.");
        }

        if (access.Roles is { } roles && !roles.Intersect(token.Roles, StringComparer.Ordinal).Any())
        {
            return EdgeProblem.WriteAsync(context, 403, "insufficient-role", "Your role does not allow this",
                $"This route needs one of these organization roles: {string.Join(",", roles)}.");
        }

        if (access.Scopes.Length > 0 && !access.Scopes.All(scope => principal.TokenScopes.Contains(scope, StringComparer.Ordinal)))
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{access.ScopeParameter}\"";
            return EdgeProblem.WriteAsync(context, 403, "insufficient-scope", "The token lacks the scope this route needs",
                $"This route needs an access token granted: {access.ScopeParameter}.");
        }

        if (access.StepUp && !tokens.HasRecentMfa(token))
        {
            context.Response.Headers.WWWAuthenticate = tokens.StepUpChallenge;
            return EdgeProblem.WriteAsync(context, 401, "step-up-required", "Confirm it is you",
                $"This action needs a multi-factor sign-in within the last {(int)tokens.Settings.StepUpMaxAge.TotalMinutes} minutes. Sign in again with your second factor.");
        }

        return next(context);
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
