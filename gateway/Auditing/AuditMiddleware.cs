using Microsoft.Extensions.Options;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;

namespace Platform.Gateway.Auditing;

/// <summary>
/// Turns every API request into an audit event (SPEC GW-AUDIT) after it has been answered. The request path only
/// hands the event to the spool's in-memory queue; RabbitMQ is never waited on here.
/// </summary>
internal sealed class AuditMiddleware(RequestDelegate next, AuditSpool spool, TimeProvider time, IOptions<AuditOptions> audit, IOptions<GatewayOptions> gateway)
{
    private const int MaxTextLength = 512;
    private readonly int internalPort = gateway.Value.InternalPort;
    private readonly string? region = audit.Value.Region;

    public async Task InvokeAsync(HttpContext context)
    {
        // Health probes on the internal listener are not API requests.
        if (context.Connection.LocalPort == internalPort)
        {
            await next(context);
            return;
        }

        var started = time.GetTimestamp();
        var status = 500;
        try
        {
            await next(context);
            status = context.Response.StatusCode;
        }
        finally
        {
            spool.Enqueue(Describe(context, status, time.GetElapsedTime(started)));
        }
    }

    private AuditRecorded Describe(HttpContext context, int status, TimeSpan latency)
    {
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
        var path = Cap(context.Request.Path.Value ?? "/");
        var principal = context.Principal();
        return new AuditRecorded
        {
            OccurredAt = time.GetUtcNow(),
            OrganizationId = principal?.OrganizationId,
            Actor = principal?.Actor ?? "anonymous",
            Action = "http.request",
            Target = route is null ? path : Cap(route),
            Outcome = status switch { < 400 => "success", 401 or 403 => "denied", < 500 => "rejected", _ => "error" },
            Ip = context.ClientAddress()?.ToString(),
            RequestId = context.TraceIdentifier,
            UserAgent = Cap(context.Request.Headers.UserAgent.ToString()) is { Length: > 0 } agent ? agent : null,
            Region = region,
            Details = new Dictionary<string, string>
            {
                ["method"] = Cap(context.Request.Method),
                ["path"] = path,
                ["status"] = status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["latencyMs"] = latency.TotalMilliseconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
            },
        };
    }

    // Client-controlled text is stored, not trusted: bounded and without control characters.
    private static string Cap(string value)
    {
        var capped = value.Length > MaxTextLength ? value[..MaxTextLength] : value;
        var span = capped.AsSpan();
        // char.IsControl's two ranges, searched vectorized: the common answer is "none".
        if (span.IndexOfAnyInRange('\u0000', '\u001f') < 0 && span.IndexOfAnyInRange('\u007f', '\u009f') < 0) return capped;
        return string.Create(capped.Length, capped, static (target, source) =>
        {
            for (var i = 0; i < source.Length; i++) target[i] = char.IsControl(source[i]) ? '?' : source[i];
        });
    }
}
