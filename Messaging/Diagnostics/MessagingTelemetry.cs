using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Platform.Messaging.Diagnostics;

/// <summary>Spans and counters of the event bus, under the <c>Platform.*</c> names that ServiceDefaults exports.</summary>
internal static class MessagingTelemetry
{
    public const string Name = "Platform.Messaging";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    public static readonly Counter<long> Published = Meter.CreateCounter<long>("platform.messaging.published", "{message}");
    public static readonly Counter<long> Processed = Meter.CreateCounter<long>("platform.messaging.processed", "{message}");
    public static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("platform.messaging.duplicates", "{message}");
    public static readonly Counter<long> Retried = Meter.CreateCounter<long>("platform.messaging.retried", "{message}");
    public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("platform.messaging.dead_lettered", "{message}");
    public static readonly Counter<long> OutboxSent = Meter.CreateCounter<long>("platform.messaging.outbox.sent", "{message}");
    public static readonly Counter<long> OutboxFailed = Meter.CreateCounter<long>("platform.messaging.outbox.failed", "{message}");

    /// <summary>
    /// A producer span, child of <paramref name="parent"/> (else of the current activity), that does not become the
    /// current activity: the spans of a batch are siblings, and the caller's context is left as it was.
    /// </summary>
    public static Activity? StartPublish(string type, ActivityContext parent = default)
    {
        var current = Activity.Current;
        var activity = Source.StartActivity($"{type} publish", ActivityKind.Producer, parent);
        Activity.Current = current;
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("messaging.destination.name", type);
        return activity;
    }

    public static Activity? StartProcess(string type, string service, ActivityContext parent, IEnumerable<ActivityLink>? links = null)
    {
        var activity = Source.StartActivity(ActivityKind.Consumer, parent, links: links, name: $"{type} process");
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", type);
        activity?.SetTag("messaging.consumer.group.name", service);
        return activity;
    }
}
