using System.Text.Json.Nodes;

namespace Platform.Identity.Scim.Filters;

/// <summary>An attribute path (RFC 7644 section 3.4.2.2 <c>attrPath</c>): an optional schema URN, a name, a sub-attribute.</summary>
internal sealed record AttrPath(string? Urn, string Name, string? Sub)
{
    public override string ToString() => (Urn is null ? "" : Urn + ":") + Name + (Sub is null ? "" : "." + Sub);
}

/// <summary>A parsed SCIM filter: never text again until it is bound as parameters.</summary>
internal abstract record ScimFilter;

/// <summary><c>attrPath op value</c> or <c>attrPath pr</c>; <see cref="Value"/> is a JSON string, boolean, number or null.</summary>
internal sealed record Comparison(AttrPath Path, string Op, JsonValue? Value) : ScimFilter;

internal sealed record And(ScimFilter Left, ScimFilter Right) : ScimFilter;

internal sealed record Or(ScimFilter Left, ScimFilter Right) : ScimFilter;

internal sealed record Not(ScimFilter Inner) : ScimFilter;

/// <summary><c>attrPath[valFilter]</c>: some value of a multi-valued attribute matches the inner filter.</summary>
internal sealed record ValuePath(AttrPath Path, ScimFilter Inner) : ScimFilter;
