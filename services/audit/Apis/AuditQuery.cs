using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Text;

namespace Platform.Audit.Apis;

/// <summary>The filters of <c>GET /v1/audit/events</c>, validated: anything malformed is a 400, never ignored.</summary>
internal sealed record AuditQuery(
    string? Organization,
    string? Actor,
    string? Action,
    string? Target,
    string? Ip,
    string? RequestId,
    DateTimeOffset? From,
    DateTimeOffset? To,
    int Limit,
    AuditCursor? After)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;
    private const int MaxTextLength = 256;

    private static readonly HashSet<string> known = ["organization", "actor", "action", "target", "ip", "requestId", "from", "to", "limit", "cursor"];

    public static (AuditQuery? Query, Dictionary<string, string[]> Errors) Parse(IQueryCollection query)
    {
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
        var from = Time("from");
        var to = Time("to");
        if (from > to) errors["from"] = ["Must not be after 'to'."];

        var limit = DefaultLimit;
        if (Text("limit") is { } limitText && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"Must be a whole number from 1 to {MaxLimit}."];
        }

        AuditCursor? cursor = null;
        if (Text("cursor") is { } cursorText && !AuditCursor.TryParse(cursorText, out cursor)) errors["cursor"] = ["Not a cursor this API returned."];

        return errors.Count > 0
            ? (null, errors)
            : (new AuditQuery(organization, actor, action, target, ip, requestId, from, to, limit, cursor), errors);
    }

    // Parameter names are echoed back; keep them short and printable.
    private static string Printable(string value) => new(value.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray());
}

/// <summary>Where a page ended: newest-first order is (occurred_at, id) descending.</summary>
internal sealed record AuditCursor(DateTimeOffset OccurredAt, long Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.ASCII.GetBytes($"v1:{OccurredAt.UtcTicks}:{Id}"));

    public static bool TryParse(string text, out AuditCursor? cursor)
    {
        cursor = null;
        try
        {
            if (!Base64Url.IsValid(text)) return false;
            var parts = Encoding.ASCII.GetString(Base64Url.DecodeFromChars(text)).Split(':');
            if (parts is not ["v1", var ticks, var id]
                || !long.TryParse(ticks, NumberStyles.None, CultureInfo.InvariantCulture, out var t)
                || !long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
                || t > DateTimeOffset.MaxValue.UtcTicks)
            {
                return false;
            }

            cursor = new AuditCursor(new DateTimeOffset(t, TimeSpan.Zero), i);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
