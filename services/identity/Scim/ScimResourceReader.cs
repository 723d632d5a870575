using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

/// <summary>
/// Checks a resource a client sent (POST, PUT, or the result of a PATCH) against its schema and returns it with the
/// schema's attribute names (names are case-insensitive, RFC 7643 section 2.1), without read-only attributes (ignored
/// on POST and PUT, RFC 7644 section 3.5.1), without the write-only password (never stored), and without nulls
/// (unassigned). An unknown attribute or a value of the wrong type is <c>invalidValue</c>.
/// </summary>
internal static class ScimResourceReader
{
    private const int MaxStringLength = 1024;
    private const int MaxValues = 100;

    public static JsonObject Read(JsonObject input, ScimResourceSchema schema, bool requireSchemas = true)
    {
        var output = new JsonObject();
        var sawSchemas = false;
        foreach (var (name, value) in input)
        {
            if (name.Equals("schemas", StringComparison.OrdinalIgnoreCase))
            {
                sawSchemas = true;
                CheckSchemas(value, schema);
                continue;
            }

            if (schema.ExtensionId is not null && schema.IsExtension(name))
            {
                if (value is null) continue;
                if (value is not JsonObject extension) throw ScimError.InvalidValue($"'{schema.ExtensionId}' must be an object.");
                var read = new JsonObject();
                foreach (var (subName, subValue) in extension)
                {
                    var attribute = schema.FindExtension(subName) ?? throw ScimError.InvalidValue($"Unknown attribute '{Clip(subName)}' of {schema.ExtensionId}.");
                    if (ReadAttribute(attribute, subValue) is { } node) read[attribute.Name] = node;
                }

                if (read.Count > 0) output[schema.ExtensionId] = read;
                continue;
            }

            var found = schema.Find(name) ?? throw ScimError.InvalidValue($"Unknown attribute '{Clip(name)}' of {schema.Name}.");
            if (found.Mutability is Mutability.ReadOnly or Mutability.WriteOnly) continue;
            if (ReadAttribute(found, value) is { } result) output[found.Name] = result;
        }

        if (requireSchemas && !sawSchemas) throw ScimError.InvalidSyntax($"The resource must list its schemas (\"{schema.Id}\").");
        foreach (var required in schema.Attributes.Where(a => a.Required && a.Mutability != Mutability.ReadOnly))
        {
            if (output[required.Name] is not JsonValue value || value.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetValue<string>()))
            {
                throw ScimError.InvalidValue($"'{required.Name}' is required.");
            }
        }

        return output;
    }

    private static void CheckSchemas(JsonNode? value, ScimResourceSchema schema)
    {
        if (value is not JsonArray list || list.Count == 0) throw ScimError.InvalidSyntax("'schemas' must be a list of schema URNs.");
        var names = list.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null).ToList();
        if (!names.Contains(schema.Id, StringComparer.OrdinalIgnoreCase)) throw ScimError.InvalidSyntax($"'schemas' must include {schema.Id}.");
        if (names.Any(n => n is null || !(n.Equals(schema.Id, StringComparison.OrdinalIgnoreCase) || (schema.ExtensionId is not null && schema.IsExtension(n)))))
        {
            throw ScimError.InvalidValue($"'schemas' names a schema this resource type does not have.");
        }
    }

    public static JsonNode? ReadAttribute(ScimAttribute attribute, JsonNode? value)
    {
        if (value is null) return null;
        if (!attribute.MultiValued) return ReadSingle(attribute, value);
        if (value is not JsonArray array) throw ScimError.InvalidValue($"'{attribute.Name}' is multi-valued: send a list.");
        if (array.Count > MaxValues) throw ScimError.InvalidValue($"'{attribute.Name}' has more than {MaxValues} values.");
        var result = new JsonArray();
        foreach (var item in array)
        {
            if (item is null) continue;
            result.Add(ReadSingle(attribute, item));
        }

        if (attribute.Type == ScimType.Complex
            && result.Count(v => v is JsonObject o && o["primary"] is JsonValue p && p.GetValueKind() == JsonValueKind.True) > 1)
        {
            throw ScimError.InvalidValue($"At most one value of '{attribute.Name}' can be primary.");
        }

        return result.Count == 0 ? null : result;
    }

    private static JsonNode ReadSingle(ScimAttribute attribute, JsonNode value)
    {
        switch (attribute.Type)
        {
            case ScimType.Complex:
                if (value is not JsonObject complex) throw ScimError.InvalidValue($"'{attribute.Name}' must be an object.");
                var read = new JsonObject();
                foreach (var (name, subValue) in complex)
                {
                    var sub = attribute.Find(name) ?? throw ScimError.InvalidValue($"Unknown attribute '{attribute.Name}.{Clip(name)}'.");
                    if (sub.Mutability == Mutability.ReadOnly || subValue is null) continue;
                    read[sub.Name] = ReadSingle(sub, subValue);
                }

                return read;
            case ScimType.Boolean:
                // Microsoft Entra sends booleans as the strings "True" and "False" in PATCH values.
                if (value is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return JsonValue.Create(b.GetValue<bool>());
                if (value is JsonValue s && s.GetValueKind() == JsonValueKind.String && bool.TryParse(s.GetValue<string>(), out var parsed)) return JsonValue.Create(parsed);
                throw ScimError.InvalidValue($"'{attribute.Name}' must be true or false.");
            default:
                if (value is not JsonValue text || text.GetValueKind() != JsonValueKind.String) throw ScimError.InvalidValue($"'{attribute.Name}' must be a string.");
                var str = text.GetValue<string>();
                if (str.Length > MaxStringLength) throw ScimError.InvalidValue($"'{attribute.Name}' is longer than {MaxStringLength} characters.");
                if (str.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))) throw ScimError.InvalidValue($"'{attribute.Name}' contains control characters.");
                return JsonValue.Create(str);
        }
    }

    private static string Clip(string text) => new(text.Where(c => !char.IsControl(c)).Take(64).ToArray());
}
