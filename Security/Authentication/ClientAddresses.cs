using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Platform.Security.Gateway;

namespace Platform.Security.Authentication;

/// <summary>The address a request came from, as the audit trail records it.</summary>
public static class ClientAddresses
{
    public const string Header = "X-Platform-Client-Address";

    /// <summary>The connection's peer (IPv4-mapped IPv6 as IPv4); null in-process (a test server) or over a Unix socket.</summary>
    public static IPAddress? Connection(HttpContext http) =>
        http.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : http.Connection.RemoteIpAddress;

    /// <summary>
    /// The client the gateway resolved (<c>X-Platform-Client-Address</c>) when the gateway's headers are believed here
    /// (signed by it, or no signing key configured), else the connection's peer.
    /// </summary>
    public static string? FromGateway(HttpContext http)
    {
        var believed = http.RequestServices.GetService<GatewaySignatureVerifier>() is not { Enabled: true } verifier || verifier.Verify(http.Request);
        return believed && http.Request.Headers[Header] is [{ } value] && IPAddress.TryParse(value, out var address)
            ? address.ToString()
            : Connection(http)?.ToString();
    }
}
