using System.Buffers;
using Platform.Security.Authentication;

namespace Platform.Retention.Model;

/// <summary>Who asked for a change and through which request: what the audit trail records about it.</summary>
internal sealed record ChangeContext(string Actor, string RequestId, string? Ip, string? UserAgent)
{
    public const string RequestIdHeader = "X-Request-Id";
    private const int MaxRequestIdLength = 128;
    private const int MaxUserAgentLength = 512;

    // The gateway's request id alphabet: safe in logs, headers and queries without escaping.
    private static readonly SearchValues<char> requestIdCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    public static ChangeContext From(HttpContext http, string actor)
    {
        var header = http.Request.Headers[RequestIdHeader];
        var requestId = header is [{ Length: > 0 and <= MaxRequestIdLength } id] && !id.AsSpan().ContainsAnyExcept(requestIdCharacters)
            ? id
            : http.TraceIdentifier;

        // The client as the principal's handler saw it: the gateway's X-Platform-Client-Address when believed, else the peer.
        var address = http.User.ClientAddress() ?? Platform.Security.Authentication.ClientAddresses.Connection(http)?.ToString();

        var userAgent = http.Request.Headers.UserAgent.ToString();
        userAgent = new string(userAgent.Take(MaxUserAgentLength).Where(c => !char.IsControl(c)).ToArray());
        return new ChangeContext(actor, requestId, address, userAgent.Length == 0 ? null : userAgent);
    }
}
