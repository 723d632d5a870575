using System.Buffers;
using System.Net;
using Platform.Identity.Events;

namespace Platform.Identity.Accounts;

/// <summary>Where a request came from and its id: what throttling and the audit trail record about it.</summary>
internal sealed record RequestInfo(string Ip, string RequestId, string? UserAgent)
{
    private static readonly SearchValues<char> requestIdCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    /// <summary>The client address is the connection's, or X-Forwarded-For's last hop when the connection is a trusted proxy.</summary>
    public static RequestInfo From(HttpContext http, IReadOnlyList<string> trustedProxies)
    {
        var address = http.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        var ip = address?.ToString() ?? "unknown";
        if (trustedProxies.Contains("*") || trustedProxies.Contains(ip))
        {
            var forwarded = http.Request.Headers["X-Forwarded-For"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (forwarded.Length > 0 && IPAddress.TryParse(forwarded[^1], out var hop)) ip = hop.ToString();
        }

        var header = http.Request.Headers["X-Request-Id"].ToString();
        var requestId = header is { Length: > 0 and <= 128 } && !header.AsSpan().ContainsAnyExcept(requestIdCharacters) ? header : http.TraceIdentifier;
        var agent = new string(http.Request.Headers.UserAgent.ToString().Take(512).Where(c => !char.IsControl(c)).ToArray());
        return new RequestInfo(ip, requestId, agent.Length == 0 ? null : agent);
    }

    public AuditRecorded Audit(DateTimeOffset now, string actor, string action, string outcome, string? target = null,
        string? organizationId = null, IReadOnlyDictionary<string, string>? details = null) => new()
    {
        OccurredAt = now,
        OrganizationId = organizationId,
        Actor = actor,
        Action = action,
        Target = target,
        Outcome = outcome,
        Ip = Ip,
        RequestId = RequestId,
        UserAgent = UserAgent,
        Details = details,
    };
}
