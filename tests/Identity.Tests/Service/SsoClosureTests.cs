using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;
using Platform.Identity.Tests.Scim;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// SPEC RET-CLOSE for single sign-on and SCIM (issue 16's gap, issue 18): while the organization is in its closure
/// grace period, identity's SSO administration (connections, domains, mappings, SP certificates) and SCIM (the
/// token's rotation and mappings, and every SCIM change) are refused with 409 <c>organization-closing</c>, audited,
/// and nothing changes; reads and searches go on, and the SCIM token can still be revoked.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SsoClosureTests(IdentityFixture fixture)
{
    private const string Closing = "https://platform.dev/problems/organization-closing";

    [Fact]
    public async Task SSO_and_SCIM_changes_are_refused_while_the_organization_closes_and_reads_go_on()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var owner = org.Owner;
        var path = $"/v1/organizations/{org.OrgId}";
        using var idp = new SamlTestIdp($"https://idp.{Guid.NewGuid():n}.test/saml");
        var created = await owner.Http.PostAsJsonAsync(path + "/sso/saml/connections", new { name = "SAML", metadataXml = idp.Metadata() });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var connectionId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.Created, (await org.Scim.PostAsync("/scim/v2/Users", ScimOrganization.Json(ScimOrganization.NewUser($"before-{Guid.NewGuid():n}@corp.test")))).StatusCode);

        // What retention's closure.requested event leaves in identity (ClosureRequestedHandler), as the organization API reads it.
        await using (var command = fixture.Database.CreateCommand(
            "INSERT INTO closing_organizations (organization_id, closure_id, status, grace_ends_at, recorded_at) VALUES ($1, $2, 'closing', $3, $3)"))
        {
            command.Parameters.AddWithValue(org.OrgId);
            command.Parameters.AddWithValue("clo_" + Guid.NewGuid().ToString("N"));
            command.Parameters.AddWithValue(fixture.Clock.GetUtcNow().AddDays(30));
            await command.ExecuteNonQueryAsync();
        }

        await owner.StepUpAsync();
        var refusals = new Dictionary<string, Func<Task<HttpResponseMessage>>>
        {
            ["create SAML connection"] = () => owner.Http.PostAsJsonAsync(path + "/sso/saml/connections", new { name = "Late", metadataXml = idp.Metadata() }),
            ["start SP certificate rollover"] = () => owner.Http.PostAsync($"{path}/sso/saml/connections/{connectionId}/certificates/rollover", null),
            ["delete connection"] = () => owner.Http.DeleteAsync($"{path}/sso/saml/connections/{connectionId}"),
            ["claim domain"] = () => owner.Http.PostAsJsonAsync(path + "/sso/domains", new { domain = $"late-{Guid.NewGuid():n}"[..12] + ".test", connectionId }),
            ["role mappings"] = () => owner.Http.PutAsJsonAsync($"{path}/sso/connections/{connectionId}/role-mappings", new { mappings = new[] { new { group = "eng", role = "Admin" } } }),
            ["rotate SCIM token"] = () => owner.Http.PostAsJsonAsync(path + "/scim/token", new { defaultRole = "Viewer" }),
            ["SCIM role mappings"] = () => owner.Http.PutAsJsonAsync(path + "/scim/role-mappings", new { mappings = new[] { new { group = "eng", role = "Admin" } } }),
        };
        foreach (var (name, send) in refusals)
        {
            var problem = await (await send()).ProblemAsync();
            Assert.True((problem.Status, problem.Type) == (HttpStatusCode.Conflict, Closing), $"{name}: {problem}");
        }

        // SCIM itself: a SCIM error (RFC 7644 section 3.12) with the problem's type; nothing provisioned.
        var scimCreate = await org.Scim.PostAsync("/scim/v2/Users", ScimOrganization.Json(ScimOrganization.NewUser($"late-{Guid.NewGuid():n}@corp.test")));
        Assert.Equal(HttpStatusCode.Conflict, scimCreate.StatusCode);
        var error = await scimCreate.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", error.GetProperty("schemas")[0].GetString());
        Assert.Equal(Closing, error.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await org.Scim.PostAsync("/scim/v2/Bulk", ScimOrganization.Json(new
        {
            schemas = new[] { "urn:ietf:params:scim:api:messages:2.0:BulkRequest" },
            Operations = new[] { new { method = "POST", path = "/Users", bulkId = "a", data = ScimOrganization.NewUser($"bulk-{Guid.NewGuid():n}@corp.test") } },
        }))).StatusCode);

        // Reads and searches go on; nothing changed.
        var users = await org.Scim.GetFromJsonAsync<JsonElement>("/scim/v2/Users");
        Assert.Equal(1, users.GetProperty("totalResults").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await org.Scim.PostAsync("/scim/v2/Users/.search", ScimOrganization.Json(new
        {
            schemas = new[] { "urn:ietf:params:scim:api:messages:2.0:SearchRequest" }, count = 10,
        }))).StatusCode);
        var connections = await owner.Http.GetFromJsonAsync<JsonElement>(path + "/sso/saml/connections");
        var only = Assert.Single(connections.GetProperty("items").EnumerateArray());
        Assert.False(only.GetProperty("rolloverInProgress").GetBoolean());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.api.refused"
            && e.GetProperty("actor").GetString() == owner.Id && e.GetProperty("details").GetProperty("reason").GetString() == "organization-closing");

        // Revoking the SCIM token only takes access away: allowed, and the token stops working.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync(path + "/scim/token")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await org.Scim.GetAsync("/scim/v2/Users")).StatusCode);
    }
}
