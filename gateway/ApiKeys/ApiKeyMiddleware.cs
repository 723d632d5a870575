using System.Net;
using Platform.Gateway.Auditing;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// API-key authentication and authorization at the edge (SPEC GW-AUTH, GW-SCOPE, KEY-SCOPE):
/// <list type="bullet">
/// <item>identity headers a client sends (<c>X-Platform-*</c>) are always removed;</item>
/// <item>a key in <c>X-Api-Key</c> or <c>Authorization: Bearer sk_…</c> is verified; a refused key is a 401 whatever the
/// reason, and the key never goes upstream;</item>
/// <item>the key's IP allowlist is enforced on the client address;</item>
/// <item>a route that declares <c>Permission</c> and <c>Levels</c> in its YARP metadata needs a key with such a scope;</item>
/// <item>upstreams receive the verified principal in <c>X-Platform-Organization</c>, <c>-Key-Id</c>, <c>-Environment</c>
/// and <c>-Scopes</c>, which only the gateway can have set.</item>
/// </list>
/// </summary>
internal sealed partial class ApiKeyMiddleware(
    RequestDelegate next, ApiKeyVerifier verifier, KeyUsageRecorder usage, AuditSpool audit, TimeProvider time, ILogger<ApiKeyMiddleware> logger)
{
    public const string ProblemBase = "https://platform.dev/problems/";
    private const string HeaderPrefix = "X-Platform-";

    public async Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        List<string>? spoofed = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)) (spoofed ??= []).Add(header.Key);
        }

        if (spoofed is not null)
        {
            foreach (var name in spoofed) headers.Remove(name);
        }

        // The client as the gateway resolved it (a trusted proxy's X-Forwarded-For, else the connection), for
        // upstreams that throttle or record by address.
        var client = context.ClientAddress();
        headers[HeaderPrefix + "Client-Address"] = client?.ToString();

        var requirement = Requirement(context);
        var key = TakeKey(context.Request);
        if (key is null)
        {
            // A user's access token is the next middleware's to judge (UserTokenMiddleware).
            if (requirement is null || UserTokens.UserTokenMiddleware.IsUserToken(context.Request, out _)) { await next(context); return; }
            await ProblemAsync(context, 401, "api-key-required", "An API key is required", "Send a key as 'Authorization: Bearer sk_…' or 'X-Api-Key'.");
            return;
        }

        KeyVerification verification;
        try
        {
            verification = await verifier.VerifyAsync(key, context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            LogVerifierUnavailable(logger, e.GetType().Name);
            await ProblemAsync(context, 503, "verification-unavailable", "Keys cannot be verified right now", "Try again shortly.");
            return;
        }

        if (!verification.Valid)
        {
            // One answer for every reason: a caller learns nothing about which keys exist.
            await ProblemAsync(context, 401, "invalid-api-key", "The API key is not valid", "The key is malformed, unknown, expired or revoked.");
            return;
        }

        context.Items["platform.organization"] = verification.OrganizationId;
        context.Items["platform.actor"] = verification.KeyId;
        context.Features.Set(verification);
        usage.Record(verification.KeyId!);
        if (!FromAllowedAddress(verification, client))
        {
            LogDisallowedAddress(logger, verification.KeyId!);
            audit.Enqueue(new AuditRecorded
            {
                OccurredAt = time.GetUtcNow(),
                OrganizationId = verification.OrganizationId,
                Actor = verification.KeyId!,
                Action = "key.used-from-disallowed-ip",
                Target = verification.KeyId,
                Outcome = "denied",
                Ip = client?.ToString(),
                RequestId = context.TraceIdentifier,
            });
            await ProblemAsync(context, 403, "ip-not-allowed", "Not allowed from this address", "This key may not be used from the address the request came from.");
            return;
        }

        if (requirement is { Environment: { } environment } && environment != verification.Environment)
        {
            await ProblemAsync(context, 403, "wrong-environment", "The key is for another environment", $"This route takes '{environment}' keys.");
            return;
        }

        if (requirement is { } needed && !verification.Allows(needed.Permission, needed.Levels))
        {
            await ProblemAsync(context, 403, "insufficient-scope", "The key lacks the scope this route needs",
                $"This route needs '{needed.Permission}' at one of: {string.Join(", ", needed.Levels)}.");
            return;
        }

        headers[HeaderPrefix + "Organization"] = verification.OrganizationId;
        headers[HeaderPrefix + "Key-Id"] = verification.KeyId;
        headers[HeaderPrefix + "Environment"] = verification.Environment;
        headers[HeaderPrefix + "Scopes"] = KeyDetails.ScopesHeader(verification.Scopes);
        await next(context);
    }

    /// <summary>
    /// The key when it is the request's only credential (an <c>X-Api-Key</c> without an <c>Authorization</c>, or an
    /// <c>Authorization: Bearer sk_…</c> without an <c>X-Api-Key</c>); else null. Leaves the request as it is.
    /// </summary>
    public static string? SoleKey(HttpRequest request)
    {
        var headers = request.Headers;
        var hasAuthorization = headers.ContainsKey("Authorization");
        if (headers.TryGetValue("X-Api-Key", out var header)) return !hasAuthorization && header.Count == 1 ? header[0]!.Trim() : null;
        var authorization = headers.Authorization;
        return authorization.Count == 1 && authorization[0]!.StartsWith("Bearer sk_", StringComparison.OrdinalIgnoreCase)
            ? authorization[0]!["Bearer ".Length..].Trim()
            : null;
    }

    /// <summary>The key, removed from the request so that no upstream ever sees it.</summary>
    private static string? TakeKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header))
        {
            request.Headers.Remove("X-Api-Key");
            return header.Count == 1 ? header[0]!.Trim() : "";
        }

        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer sk_", StringComparison.OrdinalIgnoreCase))
        {
            request.Headers.Remove("Authorization");
            return authorization["Bearer ".Length..].Trim();
        }

        return null;
    }

    /// <summary>What the matched YARP route declares: <c>Permission</c>, <c>Levels</c> (default full), <c>Environment</c> (live/test).</summary>
    private static RouteRequirement? Requirement(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config is { } route ? RouteRequirement.Of(route) : null;

    private static bool FromAllowedAddress(KeyVerification verification, IPAddress? address)
    {
        if (verification.AllowedCidrs is not { Count: > 0 } cidrs) return true;
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in KeyDetails.Networks(cidrs))
        {
            if (network.Contains(address)) return true;
        }

        return false;
    }

    private static Task ProblemAsync(HttpContext context, int status, string type, string title, string detail)
    {
        context.Response.StatusCode = status;
        if (status == 401) context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Problem(statusCode: status, type: ProblemBase + type, title: title, detail: detail).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Key {KeyId} was used from an address outside its allowlist")]
    private static partial void LogDisallowedAddress(ILogger logger, string keyId);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "The keys service could not be reached to verify a key ({ErrorType})")]
    private static partial void LogVerifierUnavailable(ILogger logger, string errorType);
}
