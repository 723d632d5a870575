using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Scim;

/// <summary>An organization whose Owner (with TOTP, stepped up) issued a SCIM token, and a SCIM client holding it.</summary>
public sealed class ScimOrganization
{
    public const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    public const string GroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
    public const string PatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    private ScimOrganization(IdentityFixture fixture, TestUser owner, string orgId, string token)
    {
        Fixture = fixture;
        Owner = owner;
        OrgId = orgId;
        Token = token;
        Scim = fixture.Client();
        Scim.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public IdentityFixture Fixture { get; }

    public TestUser Owner { get; }

    public string OrgId { get; }

    public string Token { get; private set; }

    public HttpClient Scim { get; }

    public static async Task<ScimOrganization> CreateAsync(IdentityFixture fixture, string defaultRole = "Viewer")
    {
        var owner = await TestUser.CreateAsync(fixture);
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        await owner.StepUpAsync();
        var issued = await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/scim/token", new { defaultRole });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var token = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        return new ScimOrganization(fixture, owner, orgId, token);
    }

    public static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/scim+json");

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/scim+json");

    public static object NewUser(string userName, string? externalId = null, bool active = true, string givenName = "Ada", string familyName = "Lovelace") => new Dictionary<string, object?>
    {
        ["schemas"] = new[] { UserSchema },
        ["userName"] = userName,
        ["externalId"] = externalId ?? Guid.NewGuid().ToString("N"),
        ["name"] = new { givenName, familyName },
        ["emails"] = new[] { new { primary = true, value = userName, type = "work" } },
        ["active"] = active,
    };

    public static object Patch(params object[] operations) => new { schemas = new[] { PatchSchema }, Operations = operations };

    public async Task<JsonObject> CreateUserAsync(string? userName = null, bool active = true)
    {
        var response = await Scim.PostAsync("/scim/v2/Users", Json(NewUser(userName ?? TestUser.NewEmail("scim"), active: active)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response);
    }

    public async Task<JsonObject> CreateGroupAsync(string displayName, params string[] members)
    {
        var response = await Scim.PostAsync("/scim/v2/Groups", Json(new
        {
            schemas = new[] { GroupSchema },
            displayName,
            members = members.Select(m => new { value = m }).ToArray(),
        }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await ReadAsync(response);
    }

    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>A SCIM error: the status, the error schema, and its scimType.</summary>
    public static async Task<string?> ErrorTypeAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {status}, got {response.StatusCode}: {text}");
        Assert.StartsWith("application/scim+json", response.Content.Headers.ContentType?.ToString());
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", body["schemas"]![0]!.GetValue<string>());
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), body["status"]!.GetValue<string>());
        return body["scimType"]?.GetValue<string>();
    }

    /// <summary>The role of a user in the organization, from the member list the Owner sees (null: not a member).</summary>
    public async Task<string?> RoleOfAsync(string userId)
    {
        var members = await Owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{OrgId}/members");
        foreach (var member in members.GetProperty("items").EnumerateArray())
        {
            if (member.GetProperty("userId").GetString() == userId) return member.GetProperty("role").GetString();
        }

        return null;
    }

    public async Task RotateAsync()
    {
        await Owner.StepUpAsync();
        var issued = await Owner.Http.PostAsJsonAsync($"/v1/organizations/{OrgId}/scim/token", new { defaultRole = "Viewer" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        Token = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
        Scim.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
    }
}
