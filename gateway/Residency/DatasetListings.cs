using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Residency;

/// <summary>
/// The dataset list of a multi-region organization (issue 17 item 2): every region's storage answers for its own
/// datasets, so the gateway asks them one after the other, in the order of the organization's allowed regions, and
/// answers one page: a region's datasets in its own order, then the next region's. The cursor is the last dataset id
/// of a page, which names its region (<c>ds_eu_…</c>): the next page goes on in that region after it, then the next
/// regions from their start. Each region is asked through YARP's forwarder with the route's own transforms, so the
/// request it gets is the one it would get alone (signed principal headers; the region guard passes it). A refusal
/// or failure of any region is the answer, as that region gave it: a partial list is never presented as whole.
/// </summary>
internal sealed class DatasetListings(IHttpForwarder forwarder)
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 100;

    /// <summary>Whether the request lists datasets (<c>GET|HEAD /v1/organizations/{org}/datasets</c>).</summary>
    public static bool IsListing(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method)) return false;
        var path = context.Request.Path.Value?.TrimEnd('/');
        return path is not null && path.StartsWith("/v1/organizations/", StringComparison.Ordinal) && path.EndsWith("/datasets", StringComparison.Ordinal)
            && path.Count(c => c == '/') == 4;
    }

    public async Task ListAsync(HttpContext context, IReverseProxyFeature proxy, IReadOnlyList<string> regions, string defaultRegion)
    {
        var query = context.Request.Query;
        var after = query["after"].Count == 1 ? query["after"][0] : null;
        var limit = DefaultLimit;
        if (query["limit"].Count > 1 || (query["limit"].Count == 1 && !int.TryParse(query["limit"][0], NumberStyles.None, CultureInfo.InvariantCulture, out limit)) || limit is < 1 or > MaxLimit)
        {
            // The region's storage answers an unusable limit with its own problem.
            await ForwardAsIsAsync(context, proxy, regions[0]);
            return;
        }

        var start = 0;
        if (after is not null)
        {
            var named = RegionRouting.DatasetRegion(new PathString("/datasets/" + after)) ?? defaultRegion;
            start = regions.ToList().IndexOf(named);
            if (start < 0)
            {
                await Problems.EdgeProblem.WriteAsync(context, 400, "invalid-request", "The request is invalid", "after must be a cursor from a previous page.");
                return;
            }
        }

        var items = new JsonArray();
        string? next = null;
        for (var index = start; index < regions.Count; index++)
        {
            var (status, body, contentType) = await AskAsync(context, proxy, regions[index], index == start ? after : null, limit - items.Count);
            if (status != StatusCodes.Status200OK)
            {
                context.Response.StatusCode = status;
                if (contentType is not null) context.Response.ContentType = contentType;
                await context.Response.Body.WriteAsync(body);
                return;
            }

            var page = JsonNode.Parse(body)!.AsObject();
            foreach (var item in page["items"]!.AsArray().ToList())
            {
                page["items"]!.AsArray().Remove(item);
                items.Add(item);
            }

            if (page["next"] is not null)
            {
                next = (string?)page["next"];
                break;
            }

            if (items.Count == limit)
            {
                // Full at a region's end: the next page starts with the following regions.
                if (index + 1 < regions.Count) next = (string?)items[^1]!["id"];
                break;
            }
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        await context.Response.WriteAsJsonAsync(new JsonObject { ["items"] = items, ["next"] = next }, context.RequestAborted);
    }

    private async Task<(int Status, byte[] Body, string? ContentType)> AskAsync(HttpContext context, IReverseProxyFeature proxy, string region, string? after, int limit)
    {
        var query = new Dictionary<string, StringValues>(StringComparer.Ordinal) { ["limit"] = limit.ToString(CultureInfo.InvariantCulture) };
        if (after is not null) query["after"] = after;
        var features = new FeatureCollection(context.Features);
        var request = context.Features.Get<IHttpRequestFeature>()!;
        var headers = new HeaderDictionary();
        foreach (var (name, values) in context.Request.Headers) headers[name] = values;
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = request.Protocol, Scheme = request.Scheme, Method = HttpMethods.Get, PathBase = request.PathBase, Path = request.Path,
            QueryString = QueryString.Create(query).Value ?? "", RawTarget = request.RawTarget, Headers = headers, Body = Stream.Null,
        });
        using var body = new MemoryStream();
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        var sub = new DefaultHttpContext(features);
        var destination = Destination(proxy, region);
        var error = await forwarder.SendAsync(sub, destination.Model.Config.Address, proxy.Cluster.HttpClient,
            proxy.Cluster.Config.HttpRequest ?? ForwarderRequestConfig.Empty, proxy.Route.Transformer);
        if (error != ForwarderError.None && sub.Response.StatusCode == StatusCodes.Status200OK) sub.Response.StatusCode = StatusCodes.Status502BadGateway;
        return (sub.Response.StatusCode, body.ToArray(), sub.Response.ContentType);
    }

    private async Task ForwardAsIsAsync(HttpContext context, IReverseProxyFeature proxy, string region)
    {
        var destination = Destination(proxy, region);
        await forwarder.SendAsync(context, destination.Model.Config.Address, proxy.Cluster.HttpClient,
            proxy.Cluster.Config.HttpRequest ?? ForwarderRequestConfig.Empty, proxy.Route.Transformer);
    }

    private static DestinationState Destination(IReverseProxyFeature proxy, string region)
    {
        var candidates = proxy.AllDestinations.Where(d => d.DestinationId == region || d.DestinationId.StartsWith(region + "-", StringComparison.Ordinal)).ToList();
        return candidates[Random.Shared.Next(candidates.Count)];
    }
}
