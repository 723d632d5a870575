using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Gateway.Authorization;

/// <summary>
/// What a YARP route asks of the request's principal, read from its metadata once per route configuration (a reloaded
/// configuration brings new route objects and so is read afresh):
/// <list type="bullet">
/// <item>for API keys: <c>Permission</c> (<c>dataset</c>, <c>training</c>, <c>deployment</c>), <c>Levels</c>
/// (comma-separated, default <c>full</c>) and <c>Environment</c> (<c>live</c>/<c>test</c>); a route with a
/// <c>Permission</c> and no <c>Roles</c> takes keys only;</item>
/// <item>for access tokens: <c>Roles</c> (organization roles, any of them), <c>Scopes</c> (OAuth scopes,
/// comma-separated, all of them) and <c>StepUp</c> (a multi-factor sign-in within <c>StepUpMaxAge</c>).</item>
/// </list>
/// </summary>
internal sealed record RouteAccess(string? Permission, string[] Levels, string? Environment, string[]? Roles, string[] Scopes, bool StepUp)
{
    public static readonly RouteAccess Open = new(null, [], null, null, [], false);

    private static readonly ConditionalWeakTable<RouteConfig, RouteAccess> byRoute = new();

    /// <summary>The route's requirements; <see cref="Open"/> when it declares none.</summary>
    public static RouteAccess Of(RouteConfig route) => byRoute.GetValue(route, Read);

    /// <summary>The scopes as the <c>scope</c> parameter of a challenge (RFC 6750 section 3: space-separated).</summary>
    public string ScopeParameter => string.Join(' ', Scopes);

    private static RouteAccess Read(RouteConfig route)
    {
        var metadata = route.Metadata;
        if (metadata is null) return Open;
        return new RouteAccess(
            metadata.TryGetValue("Permission", out var permission) ? permission : null,
            metadata.TryGetValue("Levels", out var levels) ? List(levels) : ["full"],
            metadata.TryGetValue("Environment", out var environment) ? environment : null,
            metadata.TryGetValue("Roles", out var roles) ? List(roles) : null,
            metadata.TryGetValue("Scopes", out var scopes) ? List(scopes) : [],
            metadata.TryGetValue("StepUp", out var stepUp) && bool.TryParse(stepUp, out var needed) && needed);
    }

    private static string[] List(string value) => value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
