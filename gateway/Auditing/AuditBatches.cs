using Platform.Gateway.Events;

namespace Platform.Gateway.Auditing;

internal static class AuditBatches
{
    /// <summary>
    /// Packs spooled events, in order, into messages of at most <paramref name="maxEvents"/> events and
    /// <paramref name="maxBytes"/> of event JSON each, so that no message comes near the bus's size limit. An event
    /// larger than that alone still gets a message of its own.
    /// </summary>
    public static List<AuditBatchRecorded> Pack(IReadOnlyList<SpooledAuditEvent> events, int maxEvents, int maxBytes)
    {
        var messages = new List<AuditBatchRecorded>();
        var current = new List<SpooledAuditEvent>();
        var bytes = 0;
        foreach (var @event in events)
        {
            var size = @event.Json.Length;
            if (current.Count > 0 && (current.Count == maxEvents || bytes + size > maxBytes))
            {
                messages.Add(new AuditBatchRecorded { Events = current });
                current = [];
                bytes = 0;
            }

            current.Add(@event);
            bytes += size;
        }

        if (current.Count > 0) messages.Add(new AuditBatchRecorded { Events = current });
        return messages;
    }
}
