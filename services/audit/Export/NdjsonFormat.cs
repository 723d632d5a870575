using System.Buffers;
using System.Text.Json;

namespace Platform.Audit.Export;

/// <summary>
/// Newline-delimited JSON: one object per line with the list API's field names and values (<c>details</c> is the
/// stored JSON object). JSON escapes every control character, so a value never breaks a line.
/// </summary>
internal sealed class NdjsonFormat : ExportFormat
{
    private static readonly JsonWriterOptions options = new() { SkipValidation = true };
    private Utf8JsonWriter? writer;

    public override string ContentType => "application/x-ndjson; charset=utf-8";

    public override string Extension => "ndjson";

    public override void WriteRow(IBufferWriter<byte> output, in ExportRow row)
    {
        if (writer is null) writer = new Utf8JsonWriter(output, options);
        else writer.Reset(output);

        writer.WriteStartObject();
        writer.WriteString("id", row.PublicId);
        writer.WriteString("eventId", row.EventId);
        writer.WriteString("occurredAt", row.OccurredAt);
        Text(writer, "organizationId", row.OrganizationId);
        writer.WriteString("actor", row.Actor);
        writer.WriteString("action", row.Action);
        Text(writer, "target", row.Target);
        writer.WriteString("outcome", row.Outcome);
        Text(writer, "ip", row.Ip);
        Text(writer, "requestId", row.RequestId);
        Text(writer, "userAgent", row.UserAgent);
        Text(writer, "region", row.Region);
        writer.WritePropertyName("details");
        // PostgreSQL's jsonb output: already valid JSON.
        if (row.Details is null) writer.WriteNullValue();
        else writer.WriteRawValue(row.Details, skipInputValidation: true);
        writer.WriteEndObject();
        writer.Flush();
        output.Write("\n"u8);
    }

    private static void Text(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }
}
