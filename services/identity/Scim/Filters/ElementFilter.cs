using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Identity.Scim.Filters;

/// <summary>
/// Evaluates the filter of a PATCH value path (<c>members[value eq "…"]</c>, <c>emails[type eq "work"]</c>) on one value
/// of a multi-valued attribute, with the same rules as the SQL filters (case-insensitive unless the sub-attribute is
/// caseExact; an absent sub-attribute matches nothing).
/// </summary>
internal static class ElementFilter
{
    public static bool Matches(ScimFilter filter, JsonNode? element, ScimAttribute multi) => filter switch
    {
        And a => Matches(a.Left, element, multi) && Matches(a.Right, element, multi),
        Or o => Matches(o.Left, element, multi) || Matches(o.Right, element, multi),
        Not n => !Matches(n.Inner, element, multi),
        Comparison c => Compare(c, element, multi),
        _ => throw ScimError.InvalidPath("Value filters cannot be nested."),
    };

    private static bool Compare(Comparison comparison, JsonNode? element, ScimAttribute multi)
    {
        if (comparison.Path.Urn is not null || comparison.Path.Sub is not null) throw ScimError.InvalidPath($"'{comparison.Path}' is not a sub-attribute of '{multi.Name}'.");
        var sub = multi.Find(comparison.Path.Name) ?? throw ScimError.InvalidPath($"Unknown attribute '{multi.Name}.{comparison.Path.Name}'.");
        var actual = element is JsonObject o ? o[sub.Name] : null;
        if (comparison.Op == "pr") return actual is JsonValue v && !(v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0);
        if (comparison.Value is null) return comparison.Op == "eq" ? actual is null : comparison.Op == "ne" && actual is not null;
        if (sub.Type == ScimType.Boolean)
        {
            if (comparison.Value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False)) throw ScimError.InvalidPath($"'{sub.Name}' is a boolean.");
            var equal = actual is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False && b!.GetValue<bool>() == comparison.Value.GetValue<bool>();
            return comparison.Op switch { "eq" => equal, "ne" => !equal, _ => throw ScimError.InvalidPath($"'{comparison.Op}' does not apply to a boolean.") };
        }

        if (comparison.Value.GetValueKind() != JsonValueKind.String) throw ScimError.InvalidPath($"'{sub.Name}' is a string: compare it with a string.");
        var wanted = comparison.Value.GetValue<string>();
        var text = actual is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        if (text is null) return comparison.Op == "ne";
        var comparer = sub.CaseExact ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        var order = sub.CaseExact ? string.CompareOrdinal(text, wanted) : string.CompareOrdinal(text.ToLowerInvariant(), wanted.ToLowerInvariant());
        return comparison.Op switch
        {
            "eq" => text.Equals(wanted, comparer),
            "ne" => !text.Equals(wanted, comparer),
            "co" => text.Contains(wanted, comparer),
            "sw" => text.StartsWith(wanted, comparer),
            "ew" => text.EndsWith(wanted, comparer),
            "gt" => order > 0,
            "ge" => order >= 0,
            "lt" => order < 0,
            "le" => order <= 0,
            _ => throw ScimError.InvalidPath($"'{comparison.Op}' is not a filter operator."),
        };
    }
}
