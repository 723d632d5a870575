using System.Diagnostics;
using Platform.Messaging.Transport;

namespace Platform.Messaging.Diagnostics;

/// <summary>W3C Trace Context (https://www.w3.org/TR/trace-context/) carried in AMQP headers, as the OpenTelemetry messaging conventions do.</summary>
internal static class TraceHeaders
{
    public const string TraceParent = "traceparent";
    public const string TraceState = "tracestate";

    /// <summary>The trace context to send: of the given activity, else of the current one; nothing outside a W3C trace.</summary>
    public static (string? TraceParent, string? TraceState) Capture(Activity? activity = null)
    {
        activity ??= Activity.Current;
        return activity is { IdFormat: ActivityIdFormat.W3C }
            ? (activity.Id, activity.TraceStateString)
            : (null, null);
    }

    public static void Write(IDictionary<string, object?> headers, string? traceParent, string? traceState)
    {
        if (traceParent is null)
        {
            return;
        }

        headers[TraceParent] = traceParent;
        if (!string.IsNullOrEmpty(traceState))
        {
            headers[TraceState] = traceState;
        }
    }

    public static ActivityContext Parse(string? traceParent, string? traceState) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context)
            ? context
            : default;

    public static ActivityContext Read(IDictionary<string, object?>? headers) =>
        Parse(MessageHeaders.GetString(headers, TraceParent), MessageHeaders.GetString(headers, TraceState));
}
