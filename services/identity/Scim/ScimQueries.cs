using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Scim;

/// <summary>
/// Where each attribute of the User (alias <c>u</c>, table <c>scim_users</c>) and Group (alias <c>g</c>) schemas is in
/// SQL, for <see cref="SqlFilterCompiler"/>. Names in the expressions come from the schema definitions, never from a request.
/// </summary>
internal static class ScimQueries
{
    public static SqlTarget? User(ScimAttribute attribute, string? sub)
    {
        var extension = ScimSchemas.Users.ExtensionAttributes!.Contains(attribute);
        switch (attribute.Name)
        {
            case "id" when !extension: return new ScalarTarget("u.user_id", attribute);
            case "userName": return new ScalarTarget("u.user_name", attribute, "u.user_name_normalized");
            case "externalId": return new ScalarTarget("u.external_id", attribute);
            case "active": return new ScalarTarget("u.active::text", attribute);
            case "meta": return Meta(attribute, sub, "u");
            case "groups":
                return new MultiTarget("scim_group_members e JOIN scim_groups eg ON eg.id = e.group_id", "e.org_id = u.org_id AND e.user_id = u.user_id", attribute,
                    s => s.Name switch { "value" => "e.group_id", "display" => "eg.display_name", _ => null });
        }

        var root = extension ? $"'{{{ScimSchemas.EnterpriseUser},{attribute.Name}" : $"'{{{attribute.Name}";
        if (attribute.MultiValued)
        {
            var array = $"(u.resource #> {root}}}')";
            return new MultiTarget($"jsonb_array_elements(CASE WHEN jsonb_typeof({array}) = 'array' THEN {array} ELSE '[]'::jsonb END) AS e(v)", null, attribute,
                s => $"(e.v ->> '{s.Name}')");
        }

        if (attribute.Type == ScimType.Complex)
        {
            var target = sub is null ? null : attribute.Find(sub);
            return target is null ? null : new ScalarTarget($"(u.resource #>> {root},{target.Name}}}')", target);
        }

        return new ScalarTarget($"(u.resource #>> {root}}}')", attribute);
    }

    public static SqlTarget? Group(ScimAttribute attribute, string? sub) => attribute.Name switch
    {
        "id" => new ScalarTarget("g.id", attribute),
        "displayName" => new ScalarTarget("g.display_name", attribute, "g.display_name_normalized"),
        "externalId" => new ScalarTarget("g.external_id", attribute),
        "meta" => Meta(attribute, sub, "g"),
        "members" => new MultiTarget("scim_group_members e", "e.group_id = g.id", attribute, s => s.Name == "value" ? "e.user_id" : null),
        _ => null,
    };

    private static ScalarTarget? Meta(ScimAttribute meta, string? sub, string alias)
    {
        var target = sub is null ? null : meta.Find(sub);
        return target?.Name switch
        {
            "created" => new ScalarTarget($"{alias}.created_at", target),
            "lastModified" => new ScalarTarget($"{alias}.updated_at", target),
            _ => null,
        };
    }
}
