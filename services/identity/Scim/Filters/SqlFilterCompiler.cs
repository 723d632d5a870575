using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Identity.Scim.Filters;

/// <summary>
/// Compiles a parsed filter to a SQL boolean expression whose every value is a bound parameter (<c>$n</c>): the text
/// of the request never becomes SQL. Each comparison is <c>COALESCE(…, false)</c>, so an absent attribute is simply
/// no match and <c>not</c> is two-valued. Operators that make no sense for a type (<c>co</c> on a boolean) and unknown
/// attributes are <c>invalidFilter</c>.
/// </summary>
internal sealed class SqlFilterCompiler(ScimResourceSchema schema, Func<ScimAttribute, string?, SqlTarget?> resolve, List<object> parameters)
{
    public string Compile(ScimFilter filter) => filter switch
    {
        And a => $"({Compile(a.Left)} AND {Compile(a.Right)})",
        Or o => $"({Compile(o.Left)} OR {Compile(o.Right)})",
        Not n => $"(NOT {Compile(n.Inner)})",
        ValuePath v => CompileValuePath(v),
        Comparison c => CompileComparison(c),
        _ => throw ScimError.InvalidFilter("Unsupported filter."),
    };

    /// <summary>
    /// What <c>sortBy</c> orders by (RFC 7644 section 3.4.2.3): a singular attribute's value (lower-cased unless it is
    /// case-exact), and for a multi-valued one its primary value, else
    /// its first (the smallest where the attribute has no primary flag). An unknown or complex attribute is <c>invalidValue</c>.
    /// </summary>
    public string SortExpression(AttrPath path)
    {
        ScimAttribute attribute;
        string? subName;
        try
        {
            (attribute, subName) = Resolve(path);
        }
        catch (ScimError e)
        {
            throw ScimError.InvalidValue("sortBy: " + e.Detail);
        }

        string Text(ScalarTarget t) => t.Attribute.Type is ScimType.String or ScimType.Reference && !t.Attribute.CaseExact ? t.Normalized ?? $"lower({t.Expression})" : $"({t.Expression})";
        switch (resolve(attribute, subName))
        {
            case ScalarTarget scalar when scalar.Attribute.Type != ScimType.Complex:
                return Text(scalar);
            case MultiTarget multi when (subName is null ? multi.Attribute.Find("value") : multi.Attribute.Find(subName)) is { } sub && Element(multi, sub) is { } element:
                var where = multi.Where is null ? "" : " WHERE " + multi.Where;
                return multi.Attribute.Find("primary") is { } primary && Element(multi, primary) is { } flag
                    ? $"(SELECT {Text(element)} FROM {multi.From}{where} ORDER BY COALESCE(lower({flag.Expression}) = 'true', false) DESC LIMIT 1)"
                    : $"(SELECT min({Text(element)}) FROM {multi.From}{where})";
            default:
                throw ScimError.InvalidValue($"sortBy: '{path}' cannot be sorted by.");
        }
    }

    private (ScimAttribute Attribute, string? Sub) Resolve(AttrPath path)
    {
        ScimAttribute? attribute;
        if (path.Urn is null || path.Urn.Equals(schema.Id, StringComparison.OrdinalIgnoreCase)) attribute = schema.Find(path.Name);
        else if (schema.IsExtension(path.Urn)) attribute = schema.FindExtension(path.Name);
        else throw ScimError.InvalidFilter($"Unknown schema '{path.Urn}'.");
        if (attribute is null || attribute.Returned == Returned.Never) throw ScimError.InvalidFilter($"Unknown attribute '{path}'.");
        if (path.Sub is not null && attribute.Find(path.Sub) is null) throw ScimError.InvalidFilter($"Unknown attribute '{path}'.");
        return (attribute, path.Sub);
    }

    private string CompileValuePath(ValuePath valuePath)
    {
        var (attribute, _) = Resolve(valuePath.Path);
        if (resolve(attribute, null) is not MultiTarget multi) throw ScimError.InvalidFilter($"'{valuePath.Path}' is not a multi-valued attribute.");
        var inner = new SqlFilterCompiler(schema, (sub, _) => Element(multi, sub), parameters).CompileElement(valuePath.Inner, multi);
        return Exists(multi, inner);
    }

    /// <summary>A filter inside <c>[…]</c>: its attribute names are the sub-attributes of the multi-valued attribute.</summary>
    private string CompileElement(ScimFilter filter, MultiTarget multi) => filter switch
    {
        And a => $"({CompileElement(a.Left, multi)} AND {CompileElement(a.Right, multi)})",
        Or o => $"({CompileElement(o.Left, multi)} OR {CompileElement(o.Right, multi)})",
        Not n => $"(NOT {CompileElement(n.Inner, multi)})",
        Comparison c when c.Path.Urn is null && c.Path.Sub is null && multi.Attribute.Find(c.Path.Name) is { } sub
            => Compare(Element(multi, sub) ?? throw ScimError.InvalidFilter($"'{c.Path}' cannot be filtered."), c),
        _ => throw ScimError.InvalidFilter($"Only sub-attributes of '{multi.Attribute.Name}' can be compared inside its brackets."),
    };

    private static ScalarTarget? Element(MultiTarget multi, ScimAttribute sub) => multi.Sub(sub) is { } expression ? new ScalarTarget(expression, sub) : null;

    private string CompileComparison(Comparison comparison)
    {
        var (attribute, subName) = Resolve(comparison.Path);
        var target = resolve(attribute, subName) ?? throw ScimError.InvalidFilter($"'{comparison.Path}' cannot be filtered.");
        switch (target)
        {
            case ScalarTarget scalar:
                return Compare(scalar, comparison);
            case MultiTarget multi:
                if (subName is null && comparison.Op == "pr") return Exists(multi, "true");
                // "emails eq x" compares the values (RFC 7644 section 3.4.2.2: a complex attribute's "value").
                var sub = subName is null ? multi.Attribute.Find("value") : multi.Attribute.Find(subName);
                if (sub is null || Element(multi, sub) is not { } element) throw ScimError.InvalidFilter($"'{comparison.Path}' cannot be filtered.");
                return Exists(multi, Compare(element, comparison));
            default:
                throw ScimError.InvalidFilter($"'{comparison.Path}' cannot be filtered.");
        }
    }

    private static string Exists(MultiTarget multi, string condition) =>
        $"EXISTS (SELECT 1 FROM {multi.From} WHERE {(multi.Where is null ? "" : multi.Where + " AND ")}{condition})";

    private string Compare(ScalarTarget target, Comparison comparison)
    {
        var (expression, attribute, op) = (target.Expression, target.Attribute, comparison.Op);
        if (attribute.Type == ScimType.Complex) throw ScimError.InvalidFilter($"'{comparison.Path}' is complex: compare one of its sub-attributes.");
        if (op == "pr")
        {
            return attribute.Type is ScimType.String or ScimType.Reference
                ? $"COALESCE(({expression}) <> '', false)"
                : $"(({expression}) IS NOT NULL)";
        }

        if (comparison.Value is null)
        {
            // "eq null" is "has no value"; "ne null" is "has one". Ordering against null means nothing.
            return op switch
            {
                "eq" => $"(({expression}) IS NULL)",
                "ne" => $"(({expression}) IS NOT NULL)",
                _ => throw ScimError.InvalidFilter($"'{op}' cannot compare with null."),
            };
        }

        return attribute.Type switch
        {
            ScimType.Boolean => CompareBoolean(expression, comparison),
            ScimType.DateTime => CompareDateTime(expression, comparison),
            _ => CompareString(target, comparison),
        };
    }

    private string CompareBoolean(string expression, Comparison comparison)
    {
        if (comparison.Value!.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw ScimError.InvalidFilter($"'{comparison.Path}' is a boolean: compare it with true or false.");
        }

        var parameter = Bind(comparison.Value.GetValue<bool>() ? "true" : "false");
        return comparison.Op switch
        {
            "eq" => $"COALESCE(lower({expression}) = {parameter}, false)",
            "ne" => $"(NOT COALESCE(lower({expression}) = {parameter}, false))",
            _ => throw ScimError.InvalidFilter($"'{comparison.Op}' does not apply to the boolean '{comparison.Path}'."),
        };
    }

    private string CompareDateTime(string expression, Comparison comparison)
    {
        if (comparison.Value!.GetValueKind() != JsonValueKind.String
            || !DateTimeOffset.TryParse(comparison.Value.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
        {
            throw ScimError.InvalidFilter($"'{comparison.Path}' is a dateTime: compare it with an xsd:dateTime string.");
        }

        var parameter = Bind(when.ToUniversalTime());
        var sqlOp = comparison.Op switch
        {
            "eq" => "=", "gt" => ">", "ge" => ">=", "lt" => "<", "le" => "<=",
            "ne" => "<>",
            _ => throw ScimError.InvalidFilter($"'{comparison.Op}' does not apply to the dateTime '{comparison.Path}'."),
        };
        return comparison.Op == "ne"
            ? $"(NOT COALESCE(({expression}) = {parameter}, false))"
            : $"COALESCE(({expression}) {sqlOp} {parameter}, false)";
    }

    private string CompareString(ScalarTarget target, Comparison comparison)
    {
        if (comparison.Value!.GetValueKind() != JsonValueKind.String)
        {
            throw ScimError.InvalidFilter($"'{comparison.Path}' is a string: compare it with a string in double quotes.");
        }

        var value = comparison.Value.GetValue<string>();
        var exact = target.Attribute.CaseExact;
        // The indexed lower-cased copy serves equality on case-insensitive attributes (userName eq …).
        var left = exact ? $"({target.Expression})" : target.Normalized ?? $"lower({target.Expression})";
        string Right(string bound) => exact ? bound : $"lower({bound})";
        string Like(string pattern) => $"COALESCE({left} LIKE {pattern} ESCAPE '\\', false)";
        switch (comparison.Op)
        {
            case "eq": return $"COALESCE({left} = {Right(Bind(value))}, false)";
            case "ne": return $"(NOT COALESCE({left} = {Right(Bind(value))}, false))";
            case "co": return Like($"'%' || {Right(Bind(EscapeLike(value)))} || '%'");
            case "sw": return Like($"{Right(Bind(EscapeLike(value)))} || '%'");
            case "ew": return Like($"'%' || {Right(Bind(EscapeLike(value)))}");
            case "gt": return $"COALESCE({left} > {Right(Bind(value))}, false)";
            case "ge": return $"COALESCE({left} >= {Right(Bind(value))}, false)";
            case "lt": return $"COALESCE({left} < {Right(Bind(value))}, false)";
            case "le": return $"COALESCE({left} <= {Right(Bind(value))}, false)";
            default: throw ScimError.InvalidFilter($"'{comparison.Op}' is not a filter operator.");
        }
    }

    private static string EscapeLike(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);

    private string Bind(object value)
    {
        parameters.Add(value);
        return "$" + parameters.Count.ToString(CultureInfo.InvariantCulture);
    }
}
