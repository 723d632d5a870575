using System.Net;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.ClientAddresses;

/// <summary>
/// Resolves the client address once per request, for the allowlists, the rate limits and the audit trail, and makes
/// sure upstreams only see a forwarding chain the gateway believes: a client that is not a trusted proxy cannot
/// send its own <c>X-Forwarded-For</c> (or <c>Forwarded</c>) through; YARP then adds the address it came from.
/// </summary>
internal sealed class ClientAddressMiddleware(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private readonly ClientAddressResolver resolver = new(options.Value.TrustedProxies.Select(IPNetwork.Parse).ToArray());

    public Task InvokeAsync(HttpContext context)
    {
        var peer = ClientAddressResolver.Normalize(context.Connection.RemoteIpAddress ?? IPAddress.IPv6None);
        var headers = context.Request.Headers;
        var client = resolver.Resolve(peer, headers["X-Forwarded-For"]);
        context.Features.Set(new ClientAddressFeature(client, peer));
        if (!resolver.IsTrusted(peer))
        {
            headers.Remove("X-Forwarded-For");
            headers.Remove("X-Forwarded-Host");
            headers.Remove("X-Forwarded-Proto");
            headers.Remove("X-Forwarded-Prefix");
            headers.Remove("Forwarded");
        }

        return next(context);
    }
}

/// <summary>The resolved client and the peer the connection came from (the same unless a trusted proxy forwarded).</summary>
internal sealed record ClientAddressFeature(IPAddress Client, IPAddress Peer);

internal static class ClientAddressExtensions
{
    /// <summary>The request's client address, as <see cref="ClientAddressMiddleware"/> resolved it.</summary>
    public static IPAddress? ClientAddress(this HttpContext context) =>
        context.Features.Get<ClientAddressFeature>()?.Client
        ?? (context.Connection.RemoteIpAddress is { } remote ? ClientAddressResolver.Normalize(remote) : null);
}
