using Platform.Gateway.Authentication;
using Platform.Gateway.Problems;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Residency;

/// <summary>
/// Routes a request for region-pinned data to its region (SPEC GW-ROUTE), as a step of YARP's proxy pipeline: on a
/// cluster whose metadata says <c>RoutesByRegion: true</c> (storage), whose destinations are named by region, only the
/// region's destination stays available. The region is the one a dataset id names (<c>ds_eu_…</c>: no lookup);
/// for a request naming no pinned dataset (creation, listing), the organization's one region, else the region the
/// client named in <c>Platform-Region</c>, else the residency service's default. A client naming a region gets that
/// region or a clear refusal: one the gateway does not serve (400 <c>unknown-region</c>), one the organization may not
/// use (403 <c>region-not-allowed</c>), one other than its dataset's (421 <c>wrong-region</c>). A single-region
/// organization's region also goes upstream, signed, as <c>X-Platform-Residency-Region</c>: storage refuses to create
/// its datasets anywhere else, however a request got there. A multi-region organization's dataset list, naming no
/// region, comes from every region it may use (<see cref="DatasetListings"/>).
/// </summary>
internal sealed class RegionRouting(OrganizationResidencies residencies, DatasetListings listings)
{
    public const string ClusterMetadata = "RoutesByRegion";
    public const string ClientHeader = "Platform-Region";
    public const string ResidencyHeader = "X-Platform-Residency-Region";
    private const string DatasetsSegment = "/datasets/";
    private static readonly object residencyItem = new();
    private static readonly object listingItem = new();

    /// <summary>What <see cref="ChooseAsync"/> answers for a multi-region organization's dataset list: every region, one after the other.</summary>
    private const string EveryRegion = "*";

    public static string? PinnedRegion(HttpContext context) => context.Items[residencyItem] as string;

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var proxy = context.GetReverseProxyFeature();
        if (proxy.Cluster.Config.Metadata?.TryGetValue(ClusterMetadata, out var on) != true || on != "true")
        {
            await next();
            return;
        }

        if (await ChooseAsync(context, proxy) is not { } region) return;
        if (region == EveryRegion)
        {
            var residency = (ResidencyAnswer)context.Items[listingItem]!;
            var served = residency.AllowedRegions.Where(r => proxy.AllDestinations.Any(d => d.DestinationId == r || d.DestinationId.StartsWith(r + "-", StringComparison.Ordinal))).ToList();
            await listings.ListAsync(context, proxy, served, residency.DefaultRegion);
            return;
        }

        var destinations = proxy.AllDestinations.Where(d => d.DestinationId == region || d.DestinationId.StartsWith(region + "-", StringComparison.Ordinal)).ToList();
        if (destinations.Count == 0)
        {
            await EdgeProblem.WriteAsync(context, 400, "unknown-region", "No such region", $"This gateway serves no region '{region}'.");
            return;
        }

        proxy.AvailableDestinations = destinations;
        await next();
    }

    private async Task<string?> ChooseAsync(HttpContext context, IReverseProxyFeature proxy)
    {
        var named = context.Request.Headers[ClientHeader];
        if (named.Count > 1 || (named.Count == 1 && !IsRegionId(named[0])))
        {
            await EdgeProblem.WriteAsync(context, 400, "unknown-region", "No such region", $"{ClientHeader} must name one region, e.g. 'eu'.");
            return null;
        }

        var requested = named.Count == 1 ? named[0] : null;
        if (requested is not null && !proxy.AllDestinations.Any(d => d.DestinationId == requested || d.DestinationId.StartsWith(requested + "-", StringComparison.Ordinal)))
        {
            await EdgeProblem.WriteAsync(context, 400, "unknown-region", "No such region", $"This gateway serves no region '{requested}'.");
            return null;
        }

        if (DatasetRegion(context.Request.Path) is { } pinned)
        {
            if (requested is null || requested == pinned) return pinned;
            await EdgeProblem.WriteAsync(context, 421, "wrong-region", "That dataset belongs to another region",
                $"The dataset is pinned to region '{pinned}'; {ClientHeader} named '{requested}'. Send the request without the header, or name its region.");
            return null;
        }

        // No pinned dataset named: the organization's residency decides (cached).
        if (!residencies.Enabled) return requested ?? proxy.AllDestinations[0].DestinationId;
        if (context.Principal()?.OrganizationId is not { } organizationId) return requested ?? proxy.AllDestinations[0].DestinationId;
        if (await residencies.GetAsync(organizationId, context.RequestAborted) is not { } residency)
        {
            await EdgeProblem.WriteAsync(context, 503, "residency-unavailable", "The organization's residency could not be read",
                "Where this organization's data may be stored could not be checked; nothing was sent. Try again shortly.");
            return null;
        }

        if (residency.PinnedRegion is { } only) context.Items[residencyItem] = only;
        if (requested is not null && !residency.AllowedRegions.Contains(requested))
        {
            await EdgeProblem.WriteAsync(context, 403, "region-not-allowed", "Your organization may not use that region",
                $"Your organization keeps its data in region '{residency.PinnedRegion}'; {ClientHeader} named '{requested}'.");
            return null;
        }

        // A multi-region organization's datasets are listed from every region it may use (DatasetListings).
        if (requested is null && residency.PinnedRegion is null && residency.AllowedRegions.Count > 1 && DatasetListings.IsListing(context))
        {
            context.Items[listingItem] = residency;
            return EveryRegion;
        }

        return requested ?? residency.PinnedRegion ?? residency.DefaultRegion;
    }

    /// <summary>The region a pinned dataset id in the path names (<c>…/datasets/ds_&lt;region&gt;_&lt;32 hex&gt;[/…]</c>); null for none.</summary>
    internal static string? DatasetRegion(PathString path)
    {
        var value = path.Value;
        var at = value?.IndexOf(DatasetsSegment, StringComparison.Ordinal) ?? -1;
        if (at < 0) return null;
        var start = at + DatasetsSegment.Length;
        var end = value!.IndexOf('/', start);
        var id = end < 0 ? value.AsSpan(start) : value.AsSpan(start, end - start);
        if (!id.StartsWith("ds_") || id.Length < 3 + 2 + 32) return null;
        var separator = id.Length - 33;
        if (id[separator] != '_') return null;
        var region = id[3..separator].ToString();
        return IsRegionId(region) ? region : null;
    }

    private static bool IsRegionId(string? value) =>
        value is { Length: > 0 and <= 32 } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
}
