using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.RequestIds;

/// <summary>
/// Every request gets an id (SPEC GW-ID): a well-formed <c>X-Request-Id</c> from a trusted hop is kept, anything
/// else — from a client, too long, odd characters — is replaced and never logged. The id is the request's
/// TraceIdentifier, goes upstream in the same header, and comes back on the response.
/// </summary>
internal sealed class RequestIdMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, TimeProvider time)
{
    private readonly IPNetwork[] trusted = options.Value.TrustedProxies.Select(IPNetwork.Parse).ToArray();

    public Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[RequestId.Header];
        var id = incoming.Count == 1 && IsTrusted(context.Connection.RemoteIpAddress) && RequestId.IsWellFormed(incoming[0])
            ? incoming[0]!
            : RequestId.New(time);

        context.TraceIdentifier = id;
        // On the request's span (OpenTelemetry's http.request.header.<name>), so its trace is found by the id (the dashboard's filter).
        Activity.Current?.SetTag("http.request.header.x-request-id", id);
        context.Request.Headers[RequestId.Header] = id;
        context.Response.OnStarting(static state =>
        {
            var (response, value) = ((HttpResponse, string))state;
            response.Headers[RequestId.Header] = value;
            return Task.CompletedTask;
        }, (context.Response, id));
        return next(context);
    }

    private bool IsTrusted(IPAddress? address)
    {
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in trusted)
        {
            if (network.Contains(address)) return true;
        }

        return false;
    }
}
