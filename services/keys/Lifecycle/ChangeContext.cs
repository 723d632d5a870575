using System.Buffers;
using System.Net;

namespace Platform.Keys.Lifecycle;

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

        var address = http.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();

        var userAgent = http.Request.Headers.UserAgent.ToString();
        userAgent = new string(userAgent.Take(MaxUserAgentLength).Where(c => !char.IsControl(c)).ToArray());
        return new ChangeContext(actor, requestId, address?.ToString(), userAgent.Length == 0 ? null : userAgent);
    }
}
