using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

internal enum ScimType { String, Boolean, DateTime, Reference, Complex }

internal enum Mutability { ReadWrite, ReadOnly, Immutable, WriteOnly }

internal enum Returned { Default, Always, Never }

/// <summary>One attribute of a SCIM schema (RFC 7643 section 7): what validation, filters, projection and PATCH go by.</summary>
internal sealed record ScimAttribute(
    string Name,
    ScimType Type,
    bool MultiValued = false,
    bool CaseExact = false,
    Mutability Mutability = Mutability.ReadWrite,
    Returned Returned = Returned.Default,
    bool Required = false,
    string Uniqueness = "none",
    IReadOnlyList<ScimAttribute>? SubAttributes = null)
{
    public IReadOnlyList<ScimAttribute> Sub => SubAttributes ?? [];

    /// <summary>Attribute names are case-insensitive (RFC 7643 section 2.1).</summary>
    public ScimAttribute? Find(string name) => Sub.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["name"] = Name,
            ["type"] = Type switch
            {
                ScimType.String => "string",
                ScimType.Boolean => "boolean",
                ScimType.DateTime => "dateTime",
                ScimType.Reference => "reference",
                _ => "complex",
            },
            ["multiValued"] = MultiValued,
            ["description"] = Name,
            ["required"] = Required,
            ["caseExact"] = CaseExact,
            ["mutability"] = Mutability switch
            {
                Mutability.ReadOnly => "readOnly",
                Mutability.Immutable => "immutable",
                Mutability.WriteOnly => "writeOnly",
                _ => "readWrite",
            },
            ["returned"] = Returned switch { Returned.Always => "always", Returned.Never => "never", _ => "default" },
            ["uniqueness"] = Uniqueness,
        };
        if (Type == ScimType.Reference) json["referenceTypes"] = new JsonArray("User", "Group", "external");
        if (Type == ScimType.Complex) json["subAttributes"] = new JsonArray(Sub.Select(s => (JsonNode)s.ToJson()).ToArray());
        return json;
    }
}

/// <summary>A resource's schemas: the core one and at most one extension whose attributes sit under its URN.</summary>
internal sealed record ScimResourceSchema(string Id, string Name, string Endpoint, IReadOnlyList<ScimAttribute> Attributes, string? ExtensionId = null,
    IReadOnlyList<ScimAttribute>? ExtensionAttributes = null)
{
    public ScimAttribute? Find(string name) => Attributes.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public ScimAttribute? FindExtension(string name) => ExtensionAttributes?.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    public bool IsExtension(string urn) => ExtensionId is not null && urn.Equals(ExtensionId, StringComparison.OrdinalIgnoreCase);
}
