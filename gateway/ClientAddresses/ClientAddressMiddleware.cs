using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Platform.Security.Gateway;

namespace Platform.Gateway.ClientAddresses;

/// <summary>
/// Resolves the client address once per request, for the allowlists, the rate limits and the audit trail, and makes
/// sure upstreams only see a forwarding chain the gateway believes: a client that is not a trusted proxy cannot
/// send its own <c>X-Forwarded-For</c> (or <c>Forwarded</c>) through; YARP then adds the address it came from.
/// The security console's calls carry the browser's address, signed (<see cref="ForwardedClient"/>): believed only
/// with the console's signature, so that the allowlists, rate limits and audit see the person, not the console.
/// </summary>
internal sealed class ClientAddressMiddleware(RequestDelegate next, IOptions<GatewayOptions> options, TimeProvider clock)
{
    private readonly ClientAddressResolver resolver = new(options.Value.TrustedProxies.Select(IPNetwork.Parse).ToArray());
    private readonly GatewaySigningOptions forwarding = options.Value.ConsoleForwarding;
    private readonly byte[] forwardingKey = options.Value.ConsoleForwarding.Enabled ? options.Value.ConsoleForwarding.KeyBytes : [];

    public Task InvokeAsync(HttpContext context)
    {
        var peer = ClientAddressResolver.Normalize(context.Connection.RemoteIpAddress ?? IPAddress.IPv6None);
        var headers = context.Request.Headers;
        var client = resolver.Resolve(peer, headers["X-Forwarded-For"]);
        if (headers.ContainsKey(ForwardedClient.AddressHeader) || headers.ContainsKey(ForwardedClient.SignatureHeader))
        {
            if (Forwarded(context) is { } browser) client = browser;
            headers.Remove(ForwardedClient.AddressHeader);
            headers.Remove(ForwardedClient.SignatureHeader);
        }

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

    /// <summary>The browser's address the console vouches for, or null (no key here, a bad or stale signature, one header twice, not an address).</summary>
    private IPAddress? Forwarded(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (!forwarding.Enabled || headers[ForwardedClient.AddressHeader] is not [{ } address] || headers[ForwardedClient.SignatureHeader] is not [{ } signature]) return null;
        if (headers.Authorization.Count > 1) return null;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value + context.Request.QueryString.Value;
        return ForwardedClient.Verify(forwardingKey, signature, clock.GetUtcNow(), forwarding.MaxAge, context.Request.Method, target, address, headers.Authorization.ToString())
            && address.Length <= 64 && IPAddress.TryParse(address, out var parsed)
            ? ClientAddressResolver.Normalize(parsed)
            : null;
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
