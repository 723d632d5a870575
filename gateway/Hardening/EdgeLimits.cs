using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Hardening;

/// <summary>
/// <c>Gateway:Limits</c> (SPEC GW-HARDEN): what one client may cost the gateway. Kestrel enforces the header,
/// connection and timing limits; request bodies are capped per route (YARP's <c>MaxRequestBodySize</c> on the route,
/// else <see cref="MaxRequestBodySize"/>).
/// </summary>
internal sealed class EdgeLimits
{
    public const string SectionName = "Gateway:Limits";

    public long MaxRequestBodySize { get; set; } = 1024 * 1024;

    public int MaxRequestHeadersTotalSize { get; set; } = 32 * 1024;

    public int MaxRequestHeaderCount { get; set; } = 64;

    public int MaxRequestLineSize { get; set; } = 8 * 1024;

    /// <summary>A client must have sent all its headers within this time (slowloris).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    public long MaxConcurrentConnections { get; set; } = 10_000;

    /// <summary>A body slower than this (after a 5 s grace) is cut off.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    public IEnumerable<string> Validate()
    {
        const string section = SectionName;
        if (MaxRequestBodySize is < 0 or > 100L * 1024 * 1024 * 1024) yield return $"{section}:MaxRequestBodySize must be between 0 and 100 GiB.";
        if (MaxRequestHeadersTotalSize is < 1024 or > 1024 * 1024) yield return $"{section}:MaxRequestHeadersTotalSize must be between 1 KiB and 1 MiB.";
        if (MaxRequestHeaderCount is < 8 or > 1000) yield return $"{section}:MaxRequestHeaderCount must be between 8 and 1,000.";
        if (MaxRequestLineSize is < 1024 or > 1024 * 1024) yield return $"{section}:MaxRequestLineSize must be between 1 KiB and 1 MiB.";
        if (RequestHeadersTimeout < TimeSpan.FromSeconds(1) || RequestHeadersTimeout > TimeSpan.FromMinutes(5)) yield return $"{section}:RequestHeadersTimeout must be between 1 s and 5 minutes.";
        if (KeepAliveTimeout < TimeSpan.FromSeconds(1) || KeepAliveTimeout > TimeSpan.FromMinutes(30)) yield return $"{section}:KeepAliveTimeout must be between 1 s and 30 minutes.";
        if (MaxConcurrentConnections is < 1 or > 1_000_000) yield return $"{section}:MaxConcurrentConnections must be between 1 and 1,000,000.";
        if (MinRequestBodyBytesPerSecond is < 1 or > 1_000_000) yield return $"{section}:MinRequestBodyBytesPerSecond must be between 1 and 1,000,000.";
    }

    public void ApplyTo(KestrelServerOptions kestrel)
    {
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = MaxRequestBodySize;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = MaxRequestHeaderCount;
        limits.MaxRequestLineSize = MaxRequestLineSize;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        limits.MaxConcurrentConnections = MaxConcurrentConnections;
        limits.MaxConcurrentUpgradedConnections = Math.Max(1, MaxConcurrentConnections / 10);
        limits.MinRequestBodyDataRate = new MinDataRate(MinRequestBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        limits.Http2.MaxRequestHeaderFieldSize = Math.Min(MaxRequestHeadersTotalSize, 16 * 1024);
        limits.Http2.MaxStreamsPerConnection = 100;
    }
}

/// <summary>
/// Caps the body of each request at its route's limit. A declared length over the limit is refused at once with a
/// 413 problem, before anything goes upstream; a chunked body is cut off by Kestrel when it passes the limit.
/// </summary>
internal sealed class BodySizeLimitMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var route = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;
        var feature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (route?.MaxRequestBodySize is { } routeLimit && feature is { IsReadOnly: false })
        {
            // -1 in YARP's configuration means no limit for the route.
            feature.MaxRequestBodySize = routeLimit < 0 ? null : routeLimit;
        }

        var limit = feature?.MaxRequestBodySize;
        if (limit is not null && context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            return Results.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                type: Problems.EdgeProblem.Base + "body-too-large",
                title: "The request body is too large",
                detail: $"This route takes at most {limit} bytes.").ExecuteAsync(context);
        }

        return next(context);
    }
}
