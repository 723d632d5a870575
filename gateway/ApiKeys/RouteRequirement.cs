using System.Runtime.CompilerServices;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// What a YARP route asks of a key, read from its metadata: <c>Permission</c>, <c>Levels</c> (default full),
/// <c>Environment</c> (live/test). Read once per route configuration rather than split on every request; a reloaded
/// configuration brings new route objects and so is read afresh.
/// </summary>
internal sealed record RouteRequirement(string Permission, string[] Levels, string? Environment)
{
    private static readonly ConditionalWeakTable<RouteConfig, StrongBox<RouteRequirement?>> byRoute = new();

    /// <summary>The route's requirement, or null when it declares no <c>Permission</c>.</summary>
    public static RouteRequirement? Of(RouteConfig route) => byRoute.GetValue(route, static r => new(Read(r))).Value;

    private static RouteRequirement? Read(RouteConfig route)
    {
        var metadata = route.Metadata;
        if (metadata is null || !metadata.TryGetValue("Permission", out var permission)) return null;
        var levels = metadata.TryGetValue("Levels", out var list) ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : ["full"];
        return new RouteRequirement(permission, levels, metadata.TryGetValue("Environment", out var environment) ? environment : null);
    }
}
