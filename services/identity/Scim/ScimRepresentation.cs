using System.Globalization;
using System.Text.Json.Nodes;

namespace Platform.Identity.Scim;

/// <summary>Resources as clients see them (RFC 7643): schemas, id, the stored attributes, groups or members, meta.</summary>
internal static class ScimRepresentation
{
    public static JsonObject User(ScimUserRow row, IEnumerable<(string Id, string Display)> groups, string baseUrl)
    {
        var resource = new JsonObject();
        var schemas = new JsonArray(ScimSchemas.User);
        if (row.Resource.ContainsKey(ScimSchemas.EnterpriseUser)) schemas.Add(ScimSchemas.EnterpriseUser);
        resource["schemas"] = schemas;
        resource["id"] = row.UserId;
        foreach (var (name, value) in row.Resource) resource[name] = value?.DeepClone();
        resource["active"] = row.Active;
        var list = groups.Select(g => (JsonNode)new JsonObject
        {
            ["value"] = g.Id,
            ["$ref"] = $"{baseUrl}Groups/{g.Id}",
            ["display"] = g.Display,
            ["type"] = "direct",
        }).ToArray();
        if (list.Length > 0) resource["groups"] = new JsonArray(list);
        resource["meta"] = Meta("User", row.Created, row.Updated, row.Version, $"{baseUrl}Users/{row.UserId}");
        return resource;
    }

    public static JsonObject Group(ScimGroupRow row, IReadOnlyDictionary<string, string> displayNames, string baseUrl)
    {
        var resource = new JsonObject
        {
            ["schemas"] = new JsonArray(ScimSchemas.Group),
            ["id"] = row.Id,
        };
        if (row.ExternalId is not null) resource["externalId"] = row.ExternalId;
        resource["displayName"] = row.DisplayName;
        resource["members"] = new JsonArray(row.Members.Select(m => (JsonNode)new JsonObject
        {
            ["value"] = m,
            ["$ref"] = $"{baseUrl}Users/{m}",
            ["display"] = displayNames.TryGetValue(m, out var display) ? display : null,
            ["type"] = "User",
        }).ToArray());
        resource["meta"] = Meta("Group", row.Created, row.Updated, row.Version, $"{baseUrl}Groups/{row.Id}");
        return resource;
    }

    public static JsonObject List(long total, int startIndex, IReadOnlyList<JsonObject> resources) => new()
    {
        ["schemas"] = new JsonArray(ScimSchemas.ListResponse),
        ["totalResults"] = total,
        ["startIndex"] = startIndex,
        ["itemsPerPage"] = resources.Count,
        ["Resources"] = new JsonArray(resources.Cast<JsonNode>().ToArray()),
    };

    private static JsonObject Meta(string type, DateTimeOffset created, DateTimeOffset updated, long version, string location) => new()
    {
        ["resourceType"] = type,
        ["created"] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["lastModified"] = updated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["location"] = location,
        ["version"] = ETags.Of(version),
    };
}
