namespace Platform.Messaging.Consuming;

internal enum Settlement
{
    Pending,

    /// <summary>Applied, a duplicate, or dead-lettered: to be acknowledged.</summary>
    Acknowledge,

    /// <summary>Already handed back with a nack; acknowledging it too would be a protocol error.</summary>
    Requeued,
}

/// <summary>A delivery on its way through the consumer: what it parsed to, and how it is settled.</summary>
internal sealed class WorkItem(Delivery delivery, Inbound inbound)
{
    public Delivery Delivery { get; } = delivery;

    public Inbound Inbound { get; } = inbound;

    public Settlement Settlement { get; set; }

    public bool IsPending => Settlement == Settlement.Pending;
}
