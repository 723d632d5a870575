using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.Audit.Model;

namespace Platform.Audit.Siem;

/// <summary>
/// An audit entry as an RFC 5424 syslog message in RFC 5425 framing (octet counting: <c>MSG-LEN SP SYSLOG-MSG</c>):
/// facility 13 (log audit), severity notice for a success and warning otherwise; APP-NAME <c>platform-audit</c>,
/// MSGID the action, the entry's identifying fields as structured data <c>[audit@32473 …]</c>, and the whole entry
/// as JSON in MSG (UTF-8 with its BOM, as RFC 5424 §6.4 asks). Nothing a caller wrote can break the framing or the
/// structured data: lengths are counted in bytes, and PARAM-VALUEs escape '"', '\' and ']'.
/// </summary>
internal static class SyslogMessage
{
    /// <summary>The private enterprise number of the structured data element (32473, reserved for documentation by RFC 5612).</summary>
    public const string StructuredDataId = "audit@32473";
    public const string AppName = "platform-audit";
    private const int LogAuditFacility = 13;
    private const int Notice = 5;
    private const int Warning = 4;
    private static readonly byte[] bom = [0xEF, 0xBB, 0xBF];

    public static byte[] Frame(AuditEntry entry, string hostname)
    {
        var message = Format(entry, hostname);
        var prefix = Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " ");
        return [.. prefix, .. message];
    }

    public static byte[] Format(AuditEntry entry, string hostname)
    {
        var priority = (LogAuditFacility * 8) + (entry.Outcome == "success" ? Notice : Warning);
        var header = new StringBuilder()
            .Append('<').Append(priority.ToString(CultureInfo.InvariantCulture)).Append(">1 ")
            .Append(entry.OccurredAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture)).Append(' ')
            .Append(hostname).Append(' ')
            .Append(AppName).Append(" - ")
            .Append(Name(entry.Action, 32)).Append(" [").Append(StructuredDataId);
        Parameter(header, "eventId", entry.EventId);
        Parameter(header, "org", entry.OrganizationId);
        Parameter(header, "actor", entry.Actor);
        Parameter(header, "action", entry.Action);
        Parameter(header, "outcome", entry.Outcome);
        Parameter(header, "target", entry.Target);
        Parameter(header, "ip", entry.Ip);
        Parameter(header, "requestId", entry.RequestId);
        Parameter(header, "region", entry.Region);
        header.Append("] ");
        return [.. Encoding.UTF8.GetBytes(header.ToString()), .. bom, .. JsonSerializer.SerializeToUtf8Bytes(entry, JsonSerializerOptions.Web)];
    }

    /// <summary>PRINTUSASCII without spaces (RFC 5424's HOSTNAME, APP-NAME, MSGID), 1 to <paramref name="max"/> characters.</summary>
    public static bool IsPrintableName(string? value, int max) =>
        value is { Length: > 0 } && value.Length <= max && value.All(c => c is > ' ' and <= '~');

    /// <summary>A MSGID from an action: printable ASCII without spaces, at most <paramref name="max"/> characters; '-' when nothing is left.</summary>
    private static string Name(string value, int max)
    {
        var kept = new string(value.Where(c => c is > ' ' and <= '~').Take(max).ToArray());
        return kept.Length == 0 ? "-" : kept;
    }

    private static void Parameter(StringBuilder text, string name, string? value)
    {
        if (value is null) return;
        text.Append(' ').Append(name).Append("=\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\' or ']') text.Append('\\');
            text.Append(c);
        }

        text.Append('"');
    }
}
