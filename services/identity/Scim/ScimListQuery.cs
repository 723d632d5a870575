using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Scim;

/// <summary>
/// <c>sortBy</c> and <c>sortOrder</c> (RFC 7644 section 3.4.2.3): ascending unless <c>descending</c>. Resources without
/// a value come last when ascending; descending is the exact reverse of ascending (the tie-break on creation turns too).
/// </summary>
internal sealed record ScimSort(AttrPath Path, bool Descending)
{
    public static string Direction(ScimSort? sort) => sort is { Descending: true } ? "DESC" : "ASC";

    public string OrderBy(string expression) => Descending ? $"{expression} DESC NULLS FIRST" : $"{expression} ASC NULLS LAST";
}

/// <summary>
/// A list request's parameters, from the query string of <c>GET /Users</c> or from the SearchRequest body of
/// <c>POST /Users/.search</c> (RFC 7644 section 3.4.3): the same checks either way.
/// </summary>
internal sealed record ScimListQuery(ScimFilter? Filter, int StartIndex, int Count, ScimProjection? Projection, ScimSort? Sort)
{
    public const string SearchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    private const int DefaultCount = 100;

    public static ScimListQuery FromQueryString(IQueryCollection query, ScimResourceSchema schema) =>
        Make(query["filter"].ToString(), Integer(query["startIndex"].ToString(), "startIndex", 1), Integer(query["count"].ToString(), "count", DefaultCount),
            query["attributes"], query["excludedAttributes"], query["sortBy"].ToString(), query["sortOrder"].ToString(), schema);

    public static ScimListQuery FromSearchRequest(JsonObject body, ScimResourceSchema schema)
    {
        if (body["schemas"] is not JsonArray schemas || !schemas.Any(s => s is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == SearchRequest))
        {
            throw ScimError.InvalidSyntax($"A search request's schemas must include '{SearchRequest}'.");
        }

        var known = new[] { "schemas", "attributes", "excludedAttributes", "filter", "sortBy", "sortOrder", "startIndex", "count" };
        if (body.Select(p => p.Key).FirstOrDefault(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)) is { } unknown)
        {
            throw ScimError.InvalidSyntax($"'{new string(unknown.Where(c => !char.IsControl(c)).Take(64).ToArray())}' is not a search request parameter.");
        }

        string? Text(string name) => Get(body, name) switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw ScimError.InvalidValue($"'{name}' must be a string."),
        };
        int Number(string name, int fallback) => Get(body, name) switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) => n,
            _ => throw ScimError.InvalidValue($"'{name}' must be an integer."),
        };
        string? List(string name) => Get(body, name) switch
        {
            null => null,
            JsonArray a when a.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String) => string.Join(',', a.Select(i => i!.GetValue<string>())),
            _ => throw ScimError.InvalidValue($"'{name}' must be an array of attribute names."),
        };
        return Make(Text("filter"), Number("startIndex", 1), Number("count", DefaultCount), List("attributes"), List("excludedAttributes"), Text("sortBy"), Text("sortOrder"), schema);
    }

    private static JsonNode? Get(JsonObject body, string name) =>
        body.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static ScimListQuery Make(string? filterText, int startIndex, int count, string? attributes, string? excluded, string? sortBy, string? sortOrder,
        ScimResourceSchema schema)
    {
        var filter = string.IsNullOrWhiteSpace(filterText) ? null : ScimFilterParser.Parse(filterText);
        ScimSort? sort = null;
        if (!string.IsNullOrEmpty(sortBy))
        {
            AttrPath path;
            try
            {
                var (parsed, valueFilter, after) = ScimFilterParser.ParsePath(sortBy);
                if (valueFilter is not null || after is not null) throw ScimError.InvalidValue("sortBy is an attribute name, without a filter.");
                path = parsed;
            }
            catch (ScimError e) when (e.ScimType != "invalidValue")
            {
                throw ScimError.InvalidValue("sortBy: " + e.Detail);
            }

            var descending = sortOrder switch
            {
                null or "" => false,
                _ when sortOrder.Equals("ascending", StringComparison.OrdinalIgnoreCase) => false,
                _ when sortOrder.Equals("descending", StringComparison.OrdinalIgnoreCase) => true,
                _ => throw ScimError.InvalidValue("sortOrder must be 'ascending' or 'descending'."),
            };
            sort = new ScimSort(path, descending);
        }
        else if (!string.IsNullOrEmpty(sortOrder) && !sortOrder.Equals("ascending", StringComparison.OrdinalIgnoreCase) && !sortOrder.Equals("descending", StringComparison.OrdinalIgnoreCase))
        {
            throw ScimError.InvalidValue("sortOrder must be 'ascending' or 'descending'.");
        }

        // RFC 7644 section 3.4.2.4: startIndex below 1 is 1; a negative count is 0; the service caps count.
        return new ScimListQuery(filter, Math.Max(1, startIndex), Math.Clamp(count, 0, ScimDiscovery.MaxResults), ScimProjection.Parse(attributes, excluded, schema), sort);
    }

    private static int Integer(string value, string name, int fallback)
    {
        if (string.IsNullOrEmpty(value)) return fallback;
        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw ScimError.InvalidValue($"'{name}' must be an integer.");
    }
}
