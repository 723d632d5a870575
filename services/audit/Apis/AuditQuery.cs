using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;

namespace Platform.Audit.Apis;

/// <summary>
/// The filters of <c>GET /v1/audit/events</c> and of its export, validated: anything malformed or unknown is a 400,
/// never ignored. A page takes <c>limit</c> and <c>cursor</c>; an export takes <c>format</c> instead.
/// </summary>
internal sealed record AuditQuery(
    string? Organization,
    string? Actor,
    string? Action,
    string? Target,
    string? Ip,
    string? RequestId,
    string? Outcome,
    DateTimeOffset? From,
    DateTimeOffset? To,
    int Limit,
    AuditCursor? After,
    string? Format = null)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;
    public const int MaxTextLength = 256;

    public static readonly string[] Formats = ["ndjson", "csv"];

    private static readonly string[] filters = ["organization", "actor", "action", "target", "ip", "requestId", "outcome", "from", "to"];
    private static readonly HashSet<string> pageParameters = [.. filters, "limit", "cursor"];
    private static readonly HashSet<string> exportParameters = [.. filters, "format"];

    public static (AuditQuery? Query, Dictionary<string, string[]> Errors) Parse(IQueryCollection query, bool export = false)
    {
        var known = export ? exportParameters : pageParameters;
        var errors = new Dictionary<string, string[]>();
        foreach (var key in query.Keys.Where(k => !known.Contains(k)))
        {
            errors[Printable(key)] = [$"Unknown parameter. Known: {string.Join(", ", known)}."];
        }

        string? Text(string name)
        {
            if (!query.TryGetValue(name, out var values)) return null;
            if (values.Count != 1) { errors[name] = ["Give this parameter once."]; return null; }
            var value = values[0]!;
            if (value.Length is 0 or > MaxTextLength || value.Any(char.IsControl))
            {
                errors[name] = [$"Must be 1 to {MaxTextLength} characters without control characters."];
                return null;
            }

            return value;
        }

        DateTimeOffset? Time(string name)
        {
            var text = Text(name);
            if (text is null) return null;
            if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)) return value;
            errors[name] = ["Must be an ISO 8601 timestamp, such as 2026-11-23T10:00:00Z."];
            return null;
        }

        var organization = Text("organization");
        var actor = Text("actor");
        var action = Text("action");
        var target = Text("target");
        var ip = Text("ip");
        if (ip is not null && !IPAddress.TryParse(ip, out _)) errors["ip"] = ["Must be an IPv4 or IPv6 address."];
        var requestId = Text("requestId");
        var outcome = Text("outcome");
        var from = Time("from");
        var to = Time("to");
        if (from > to) errors["from"] = ["Must not be after 'to'."];

        var format = export ? Text("format") ?? "ndjson" : null;
        if (format is not null && !Formats.Contains(format, StringComparer.Ordinal)) errors["format"] = [$"Must be one of: {string.Join(", ", Formats)}."];

        var limit = DefaultLimit;
        if (!export && Text("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"Must be a whole number from 1 to {MaxLimit}."];
        }

        AuditCursor? cursor = null;
        if (!export && Text("cursor") is { } cursorText && !AuditCursor.TryParse(cursorText, out cursor)) errors["cursor"] = ["Not a cursor this API returned."];

        return errors.Count > 0
            ? (null, errors)
            : (new AuditQuery(organization, actor, action, target, ip, requestId, outcome, from, to, limit, cursor, format), errors);
    }

    // Parameter names are echoed back; keep them short and printable.
    private static string Printable(string value) => new(value.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

/// <summary>
/// Where a page ended, in its organization's log (null: a query without one): newest-first order is
/// (occurred_at, id) descending. The organization travels in the cursor so that a page of one log never continues
/// another (<see cref="Security.AuditAccess.CursorRefusalAsync"/>).
/// </summary>
internal sealed record AuditCursor(string? Organization, DateTimeOffset OccurredAt, long Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v2\n{(Organization is null ? "-" : "o" + Organization)}\n{OccurredAt.UtcTicks}\n{Id}"));

    public static bool TryParse(string text, out AuditCursor? cursor)
    {
        cursor = null;
        try
        {
            if (!Base64Url.IsValid(text)) return false;
            var parts = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text)).Split('\n');
            if (parts is not ["v2", var organization, var ticks, var id]
                || !(organization == "-" || (organization.Length is > 1 and <= AuditQuery.MaxTextLength + 1 && organization[0] == 'o' && !organization.Any(char.IsControl)))
                || !long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                || t > DateTimeOffset.MaxValue.UtcTicks)
            {
                return false;
            }

            cursor = new AuditCursor(organization == "-" ? null : organization[1..], new DateTimeOffset(t, TimeSpan.Zero), i);
            return true;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException)
        {
            return false;
        }
    }
}
