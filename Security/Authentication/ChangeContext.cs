using Microsoft.AspNetCore.Http;

namespace Platform.Security.Authentication;

/// <summary>Who asked for a change and through which request: what the audit trail records about it.</summary>
public sealed record ChangeContext(string Actor, string RequestId, string? Ip, string? UserAgent)
{
    private const int MaxUserAgentLength = 512;

    public static ChangeContext From(HttpContext http, string actor)
    {
        // The client as the principal's handler saw it: the gateway's X-Platform-Client-Address when believed, else the peer.
        var address = http.User.ClientAddress() ?? ClientAddresses.Connection(http)?.ToString();
        var userAgent = http.Request.Headers.UserAgent.ToString();
        userAgent = new string(userAgent.Take(MaxUserAgentLength).Where(c => !char.IsControl(c)).ToArray());
        return new ChangeContext(actor, Refusals.RequestId(http), address, userAgent.Length == 0 ? null : userAgent);
    }
}
