using System.Text.Json;
using System.Text.Json.Serialization;
using Platform.Messaging;

namespace Platform.Gateway.Events;

/// <summary>
/// Many of the gateway's <see cref="AuditRecorded"/> events in one message (SPEC GW-AUDIT at request rate): the broker
/// and the audit service's inbox pay once per batch, not once per request. Each event keeps its own id, so a batch
/// published twice stores every event once.
/// </summary>
[IntegrationEvent("audit.batch-recorded", MustBeRouted = true)]
public sealed record AuditBatchRecorded : IntegrationEvent
{
    /// <summary>Each an <see cref="AuditRecorded"/> as the spool holds it: serialized once, on its way to the spool.</summary>
    public required IReadOnlyList<SpooledAuditEvent> Events { get; init; }
}

/// <summary>One <see cref="AuditRecorded"/> as JSON, written into a message as it is.</summary>
[JsonConverter(typeof(SpooledAuditEventConverter))]
public readonly record struct SpooledAuditEvent(ReadOnlyMemory<byte> Json);

internal sealed class SpooledAuditEventConverter : JsonConverter<SpooledAuditEvent>
{
    public override SpooledAuditEvent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return new SpooledAuditEvent(JsonSerializer.SerializeToUtf8Bytes(document.RootElement));
    }

    // The spool reader has checked that the line is one whole JSON object.
    public override void Write(Utf8JsonWriter writer, SpooledAuditEvent value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json.Span, skipInputValidation: true);
}
