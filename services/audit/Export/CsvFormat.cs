using System.Buffers;
using System.Globalization;
using System.Text;

namespace Platform.Audit.Export;

/// <summary>
/// CSV as RFC 4180 defines it — a header record, CRLF after every record, every present value in double quotes with
/// its own quotes doubled (so commas, quotes and line breaks stay inside their cell) — and safe to open in a
/// spreadsheet: a value that starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return gets a
/// leading <c>'</c>, so that it is shown as text and never evaluated as a formula (OWASP, "CSV Injection"). An absent
/// value is an empty, unquoted cell.
/// </summary>
internal sealed class CsvFormat : ExportFormat
{
    public static readonly string[] Header =
        ["id", "eventId", "occurredAt", "organizationId", "actor", "action", "target", "outcome", "ip", "requestId", "userAgent", "region", "details"];

    public override string ContentType => "text/csv; charset=utf-8; header=present";

    public override string Extension => "csv";

    public override void WriteHeader(IBufferWriter<byte> output)
    {
        for (var i = 0; i < Header.Length; i++)
        {
            if (i > 0) output.Write(","u8);
            Cell(output, Header[i]);
        }

        output.Write("\r\n"u8);
    }

    public override void WriteRow(IBufferWriter<byte> output, in ExportRow row)
    {
        Cell(output, row.PublicId);
        Next(output, row.EventId);
        Next(output, row.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
        Next(output, row.OrganizationId);
        Next(output, row.Actor);
        Next(output, row.Action);
        Next(output, row.Target);
        Next(output, row.Outcome);
        Next(output, row.Ip);
        Next(output, row.RequestId);
        Next(output, row.UserAgent);
        Next(output, row.Region);
        Next(output, row.Details);
        output.Write("\r\n"u8);
    }

    /// <summary>Whether a spreadsheet could read the value as a formula (OWASP's list).</summary>
    public static bool NeedsGuard(string value) => value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r';

    private static void Next(IBufferWriter<byte> output, string? value)
    {
        output.Write(","u8);
        Cell(output, value);
    }

    private static void Cell(IBufferWriter<byte> output, string? value)
    {
        if (value is null) return;
        output.Write("\""u8);
        if (NeedsGuard(value)) output.Write("'"u8);
        var rest = value.AsSpan();
        while (rest.Length > 0)
        {
            var quote = rest.IndexOf('"');
            var part = quote < 0 ? rest : rest[..(quote + 1)];
            var bytes = output.GetSpan(Encoding.UTF8.GetMaxByteCount(part.Length));
            output.Advance(Encoding.UTF8.GetBytes(part, bytes));
            // RFC 4180 section 2.7: a double quote inside a quoted field is written twice.
            if (quote >= 0) output.Write("\""u8);
            rest = quote < 0 ? default : rest[(quote + 1)..];
        }

        output.Write("\""u8);
    }
}
