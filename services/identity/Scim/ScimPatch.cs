using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Scim;

/// <summary>
/// PATCH (RFC 7644 section 3.5.2) on a resource's stored view: <c>op</c> case-insensitive (<c>add</c>, <c>replace</c>,
/// <c>remove</c>), with a path (<c>attr</c>, <c>attr.sub</c>, <c>attr[filter]</c>, <c>attr[filter].sub</c>, with or
/// without the schema URN) or without one (the value's members are the paths, Entra's <c>"name.givenName"</c> keys
/// included). Read-only attributes are <c>mutability</c>; the result is checked again like a PUT by the caller.
/// </summary>
internal static class ScimPatch
{
    private const int MaxOperations = 1000;

    public static JsonObject Apply(JsonObject current, JsonNode? body, ScimResourceSchema schema)
    {
        if (body is not JsonObject request) throw ScimError.InvalidSyntax("The body must be a PatchOp object.");
        var schemas = Property(request, "schemas") as JsonArray;
        if (schemas is null || !schemas.Any(s => s is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == ScimSchemas.PatchOp))
        {
            throw ScimError.InvalidSyntax($"'schemas' must be [\"{ScimSchemas.PatchOp}\"].");
        }

        if (Property(request, "Operations") is not JsonArray operations || operations.Count == 0) throw ScimError.InvalidSyntax("'Operations' must be a non-empty list.");
        if (operations.Count > MaxOperations) throw ScimError.InvalidSyntax($"At most {MaxOperations} operations per request.");
        var document = (JsonObject)current.DeepClone();
        foreach (var node in operations)
        {
            if (node is not JsonObject operation) throw ScimError.InvalidSyntax("Each operation must be an object.");
            var op = (Property(operation, "op") as JsonValue)?.GetValueKind() == JsonValueKind.String ? Property(operation, "op")!.GetValue<string>().ToLowerInvariant() : null;
            if (op is not ("add" or "replace" or "remove")) throw ScimError.InvalidSyntax("'op' must be add, replace or remove.");
            var pathNode = Property(operation, "path");
            var value = Property(operation, "value");
            if (pathNode is null)
            {
                if (op == "remove") throw ScimError.NoTarget("A remove operation needs a path.");
                if (value is not JsonObject members) throw ScimError.InvalidSyntax("Without a path, the value must be an object of attributes.");
                foreach (var (key, memberValue) in members)
                {
                    if (schema.ExtensionId is not null && schema.IsExtension(key))
                    {
                        if (memberValue is not JsonObject extension) throw ScimError.InvalidValue($"'{schema.ExtensionId}' must be an object.");
                        foreach (var (subKey, subValue) in extension) ApplyOne(document, op, $"{schema.ExtensionId}:{subKey}", subValue?.DeepClone(), schema);
                        continue;
                    }

                    ApplyOne(document, op, key, memberValue?.DeepClone(), schema);
                }

                continue;
            }

            if (pathNode is not JsonValue p || p.GetValueKind() != JsonValueKind.String) throw ScimError.InvalidPath("'path' must be a string.");
            ApplyOne(document, op, p.GetValue<string>(), value?.DeepClone(), schema);
        }

        return document;
    }

    private static JsonNode? Property(JsonObject json, string name) =>
        json.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    private static void ApplyOne(JsonObject document, string op, string pathText, JsonNode? value, ScimResourceSchema schema)
    {
        var (path, filter, subAfter) = ScimFilterParser.ParsePath(pathText);
        JsonObject container = document;
        ScimAttribute? attribute;
        if (path.Urn is null || path.Urn.Equals(schema.Id, StringComparison.OrdinalIgnoreCase))
        {
            attribute = schema.Find(path.Name);
        }
        else if (schema.IsExtension(path.Urn))
        {
            attribute = schema.FindExtension(path.Name);
            if (attribute is not null)
            {
                if (document[schema.ExtensionId!] is not JsonObject extension) document[schema.ExtensionId!] = extension = new JsonObject();
                container = extension;
            }
        }
        else
        {
            throw ScimError.InvalidPath($"Unknown schema '{path.Urn}'.");
        }

        if (attribute is null) throw ScimError.InvalidPath($"Unknown attribute '{path}'.");
        if (attribute.Mutability == Mutability.ReadOnly || attribute.Name is "id") throw ScimError.Mutability($"'{attribute.Name}' is read-only.");
        if (attribute.Mutability == Mutability.WriteOnly)
        {
            // The password is never stored: accepted and dropped, as on POST and PUT.
            return;
        }

        var subName = path.Sub ?? subAfter;
        var sub = subName is null ? null : attribute.Find(subName) ?? throw ScimError.InvalidPath($"Unknown attribute '{attribute.Name}.{subName}'.");
        if (sub is { Mutability: Mutability.ReadOnly }) throw ScimError.Mutability($"'{attribute.Name}.{sub.Name}' is read-only.");
        if (filter is not null && !attribute.MultiValued) throw ScimError.InvalidPath($"'{attribute.Name}' is not multi-valued: it takes no value filter.");

        if (!attribute.MultiValued)
        {
            ApplySingle(container, op, attribute, sub, value);
            return;
        }

        var values = container[attribute.Name] as JsonArray ?? [];
        container[attribute.Name] = values;
        if (filter is null)
        {
            if (sub is not null) throw ScimError.InvalidPath($"Select values of '{attribute.Name}' with a filter before naming '{sub.Name}'.");
            switch (op)
            {
                case "remove" when value is JsonArray listed:
                    // Entra removes group members as {"op":"Remove","path":"members","value":[{"value":"…"}]}.
                    var wanted = listed.Select(v => (v as JsonObject)?["value"]?.ToJsonString()).Where(v => v is not null).ToHashSet();
                    foreach (var existing in values.Where(v => wanted.Contains((v as JsonObject)?["value"]?.ToJsonString())).ToList()) values.Remove(existing);
                    break;
                case "remove":
                    container.Remove(attribute.Name);
                    return;
                case "replace":
                    container[attribute.Name] = ScimResourceReader.ReadAttribute(attribute, AsList(value)) ?? new JsonArray();
                    break;
                default:
                    foreach (var item in (ScimResourceReader.ReadAttribute(attribute, AsList(value)) as JsonArray ?? []).ToList())
                    {
                        if (!values.Any(v => JsonNode.DeepEquals(v, item))) values.Add(item!.DeepClone());
                    }

                    break;
            }
        }
        else
        {
            var matched = values.Where(v => ElementFilter.Matches(filter, v, attribute)).ToList();
            switch (op)
            {
                case "remove" when sub is null:
                    foreach (var item in matched) values.Remove(item);
                    break;
                case "remove":
                    foreach (var item in matched.OfType<JsonObject>()) item.Remove(sub.Name);
                    break;
                default:
                    if (matched.Count == 0)
                    {
                        if (op == "replace" && sub is null) throw ScimError.NoTarget($"No value of '{attribute.Name}' matches the filter.");
                        // "add" (and Entra's replace of emails[type eq "work"].value) creates the value the filter describes.
                        var created = new JsonObject();
                        if (filter is Comparison { Op: "eq", Value: not null } equality && equality.Path.Urn is null && equality.Path.Sub is null)
                        {
                            created[attribute.Find(equality.Path.Name)?.Name ?? equality.Path.Name] = equality.Value.DeepClone();
                        }
                        else
                        {
                            throw ScimError.NoTarget($"No value of '{attribute.Name}' matches the filter.");
                        }

                        values.Add(created);
                        matched.Add(created);
                    }

                    foreach (var item in matched.OfType<JsonObject>())
                    {
                        if (sub is not null) item[sub.Name] = value?.DeepClone();
                        else if (value is JsonObject replacement)
                        {
                            foreach (var (key, v) in replacement) item[attribute.Find(key)?.Name ?? key] = v?.DeepClone();
                        }
                        else throw ScimError.InvalidValue($"Replace values of '{attribute.Name}' with an object.");
                    }

                    break;
            }
        }

        if (values.Count == 0) container.Remove(attribute.Name);
    }

    private static JsonNode? AsList(JsonNode? value) => value is JsonArray or null ? value : new JsonArray(value.DeepClone());

    private static void ApplySingle(JsonObject container, string op, ScimAttribute attribute, ScimAttribute? sub, JsonNode? value)
    {
        if (attribute.Type != ScimType.Complex)
        {
            if (sub is not null) throw ScimError.InvalidPath($"'{attribute.Name}' has no sub-attributes.");
            if (op == "remove") container.Remove(attribute.Name);
            else container[attribute.Name] = ScimResourceReader.ReadAttribute(attribute, value);
            return;
        }

        if (container[attribute.Name] is not JsonObject complex) container[attribute.Name] = complex = new JsonObject();
        if (sub is not null)
        {
            if (op == "remove") complex.Remove(sub.Name);
            else complex[sub.Name] = ScimResourceReader.ReadAttribute(sub, value);
        }
        else if (op == "remove")
        {
            container.Remove(attribute.Name);
            return;
        }
        else
        {
            if (value is not JsonObject given) throw ScimError.InvalidValue($"'{attribute.Name}' takes an object of its sub-attributes.");
            // Sub-attributes not in the value are left as they are (RFC 7644 section 3.5.2.3).
            foreach (var (key, v) in given)
            {
                var target = attribute.Find(key) ?? throw ScimError.InvalidValue($"Unknown attribute '{attribute.Name}.{key}'.");
                if (target.Mutability == Mutability.ReadOnly) continue;
                complex[target.Name] = ScimResourceReader.ReadAttribute(target, v);
            }
        }

        if (complex.Count == 0) container.Remove(attribute.Name);
    }
}
