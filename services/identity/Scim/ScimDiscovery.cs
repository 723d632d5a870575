using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

/// <summary>ServiceProviderConfig, ResourceTypes and Schemas (RFC 7644 section 4, RFC 7643 sections 5–7).</summary>
internal static class ScimDiscovery
{
    public const int MaxResults = 200;

    public static JsonObject ServiceProviderConfig(string baseUrl) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"),
        ["documentationUri"] = "https://platform.dev/docs/scim",
        ["patch"] = new JsonObject { ["supported"] = true },
        ["bulk"] = new JsonObject { ["supported"] = true, ["maxOperations"] = ScimBulk.MaxOperations, ["maxPayloadSize"] = ScimBulk.MaxPayloadSize },
        ["filter"] = new JsonObject { ["supported"] = true, ["maxResults"] = MaxResults },
        ["changePassword"] = new JsonObject { ["supported"] = false },
        ["sort"] = new JsonObject { ["supported"] = true },
        ["etag"] = new JsonObject { ["supported"] = true },
        ["authenticationSchemes"] = new JsonArray(new JsonObject
        {
            ["type"] = "oauthbearertoken",
            ["name"] = "OAuth Bearer Token",
            ["description"] = "The organization's SCIM token (scim_…), created by an Owner, as 'Authorization: Bearer'.",
            ["primary"] = true,
        }),
        ["meta"] = new JsonObject { ["resourceType"] = "ServiceProviderConfig", ["location"] = baseUrl + "ServiceProviderConfig" },
    };

    public static JsonObject ResourceType(ScimResourceSchema schema, string baseUrl)
    {
        var type = new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:ResourceType"),
            ["id"] = schema.Name,
            ["name"] = schema.Name,
            ["endpoint"] = schema.Endpoint,
            ["description"] = schema.Name + "s of the organization",
            ["schema"] = schema.Id,
            ["meta"] = new JsonObject { ["resourceType"] = "ResourceType", ["location"] = $"{baseUrl}ResourceTypes/{schema.Name}" },
        };
        if (schema.ExtensionId is not null)
        {
            type["schemaExtensions"] = new JsonArray(new JsonObject { ["schema"] = schema.ExtensionId, ["required"] = false });
        }

        return type;
    }

    public static IEnumerable<JsonObject> Schemas(string baseUrl)
    {
        yield return Schema(ScimSchemas.User, "User", "User Account", ScimSchemas.Users.Attributes, baseUrl);
        yield return Schema(ScimSchemas.Group, "Group", "Group", ScimSchemas.Groups.Attributes, baseUrl);
        yield return Schema(ScimSchemas.EnterpriseUser, "EnterpriseUser", "Enterprise User", ScimSchemas.Users.ExtensionAttributes!, baseUrl);
    }

    private static JsonObject Schema(string id, string name, string description, IEnumerable<ScimAttribute> attributes, string baseUrl) => new()
    {
        ["schemas"] = new JsonArray("urn:ietf:params:scim:schemas:core:2.0:Schema"),
        ["id"] = id,
        ["name"] = name,
        ["description"] = description,
        // RFC 7643 sections 3.1 and 7: the common attributes (id, externalId, meta) are not part of a schema's attribute list.
        ["attributes"] = new JsonArray(attributes.Where(a => a.Name is not ("id" or "externalId" or "meta")).Select(a => (JsonNode)a.ToJson()).ToArray()),
        ["meta"] = new JsonObject { ["resourceType"] = "Schema", ["location"] = $"{baseUrl}Schemas/{id}" },
    };
}
