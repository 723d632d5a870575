using System.Text.Json.Nodes;
using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Scim;

/// <summary>
/// <c>attributes</c> and <c>excludedAttributes</c> (RFC 7644 section 3.4.2.5): comma-separated attribute paths, with or
/// without the schema URN, down to sub-attributes. <c>id</c> and <c>schemas</c> are always returned. An unknown
/// attribute is <c>invalidValue</c>.
/// </summary>
internal sealed class ScimProjection
{
    private readonly HashSet<(string Container, string Name, string? Sub)> paths = [];
    private readonly bool include;

    private ScimProjection(bool include) => this.include = include;

    public static ScimProjection? Parse(string? attributes, string? excluded, ScimResourceSchema schema)
    {
        if (!string.IsNullOrWhiteSpace(attributes) && !string.IsNullOrWhiteSpace(excluded))
        {
            throw ScimError.InvalidSyntax("Send either 'attributes' or 'excludedAttributes', not both.");
        }

        var text = !string.IsNullOrWhiteSpace(attributes) ? attributes : excluded;
        if (string.IsNullOrWhiteSpace(text)) return null;
        var projection = new ScimProjection(!string.IsNullOrWhiteSpace(attributes));
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            AttrPath path;
            try
            {
                (path, var filter, _) = ScimFilterParser.ParsePath(item);
                if (filter is not null) throw ScimError.InvalidValue("Attribute lists take no filters.");
            }
            catch (ScimError e) when (e.ScimType == "invalidPath")
            {
                throw ScimError.InvalidValue($"'attributes': {e.Detail}");
            }

            string container;
            ScimAttribute? attribute;
            if (path.Urn is null || path.Urn.Equals(schema.Id, StringComparison.OrdinalIgnoreCase))
            {
                container = "";
                attribute = schema.Find(path.Name);
            }
            else if (schema.IsExtension(path.Urn))
            {
                container = schema.ExtensionId!;
                attribute = schema.FindExtension(path.Name);
            }
            else if (schema.IsExtension(path.Urn + ":" + path.Name) && path.Sub is null)
            {
                // The whole extension: "urn:…:enterprise:2.0:User".
                projection.paths.Add(("", schema.ExtensionId!, null));
                continue;
            }
            else
            {
                throw ScimError.InvalidValue($"Unknown schema '{path.Urn}'.");
            }

            if (attribute is null) throw ScimError.InvalidValue($"Unknown attribute '{path}'.");
            var sub = path.Sub is null ? null : attribute.Find(path.Sub)?.Name ?? throw ScimError.InvalidValue($"Unknown attribute '{path}'.");
            projection.paths.Add((container, attribute.Name, sub));
        }

        return projection;
    }

    public JsonObject Apply(JsonObject resource)
    {
        var result = new JsonObject();
        foreach (var (name, value) in resource)
        {
            if (name is "id" or "schemas")
            {
                result[name] = value?.DeepClone();
                continue;
            }

            var container = name.StartsWith("urn:", StringComparison.Ordinal) ? name : "";
            if (container.Length > 0 && value is JsonObject extension)
            {
                if (paths.Contains(("", name, null)))
                {
                    if (include) result[name] = extension.DeepClone();
                    continue;
                }

                var kept = Filter(extension, container);
                if (kept.Count > 0) result[name] = kept;
                continue;
            }

            var filtered = Filter(new JsonObject { [name] = value?.DeepClone() }, "");
            foreach (var (k, v) in filtered) result[k] = v?.DeepClone();
        }

        return result;
    }

    private JsonObject Filter(JsonObject members, string container)
    {
        var result = new JsonObject();
        foreach (var (name, value) in members)
        {
            var whole = paths.Contains((container, name, null));
            var subs = paths.Where(p => p.Container == container && p.Name == name && p.Sub is not null).Select(p => p.Sub!).ToHashSet();
            if (include)
            {
                if (whole) result[name] = value?.DeepClone();
                else if (subs.Count > 0 && Select(value, subs, keep: true) is { } selected) result[name] = selected;
            }
            else
            {
                if (whole) continue;
                result[name] = subs.Count > 0 ? Select(value, subs, keep: false) : value?.DeepClone();
            }
        }

        return result;
    }

    private static JsonNode? Select(JsonNode? value, HashSet<string> subs, bool keep)
    {
        JsonObject Pick(JsonObject o)
        {
            var picked = new JsonObject();
            foreach (var (k, v) in o)
            {
                if (subs.Contains(k) == keep) picked[k] = v?.DeepClone();
            }

            return picked;
        }

        return value switch
        {
            JsonObject o => Pick(o),
            JsonArray a => new JsonArray(a.OfType<JsonObject>().Select(o => (JsonNode)Pick(o)).ToArray()),
            _ => keep ? null : value?.DeepClone(),
        };
    }
}
