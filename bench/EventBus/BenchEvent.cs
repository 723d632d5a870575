using Platform.Messaging;

namespace Platform.Bench.EventBus;

[IntegrationEvent(RoutingKey)]
internal sealed record BenchEvent : IntegrationEvent
{
    public const string RoutingKey = "bench.event-published";

    public required string Payload { get; init; }
}
