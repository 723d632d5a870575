namespace Platform.Identity.Scim.Filters;

/// <summary>Where an attribute lives in SQL. Expressions come from the service's own mapping, never from the request.</summary>
internal abstract record SqlTarget;

/// <summary>A single value: a column or a JSON text path; <see cref="Normalized"/> is an indexed lower-cased copy, if any.</summary>
internal sealed record ScalarTarget(string Expression, ScimAttribute Attribute, string? Normalized = null) : SqlTarget;

/// <summary>
/// A multi-valued attribute: rows from <see cref="From"/> (alias <c>e</c>, filtered by <see cref="Where"/>), whose
/// sub-attributes <see cref="Sub"/> maps to expressions; a filter on it matches when some row does.
/// </summary>
internal sealed record MultiTarget(string From, string? Where, ScimAttribute Attribute, Func<ScimAttribute, string?> Sub) : SqlTarget;
