using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Platform.IntegrationTests;

/// <summary>
/// SCIM provisioning (issue 18 item 6) end to end through the gateway over HTTPS: the Owner issues the organization's
/// SCIM token, an IdP's SCIM client provisions a person into an Admin group, the person creates an API key, and the
/// deactivation of the person by SCIM revokes that key at every gateway (identity's event, handled by the keys
/// service) while the person's own other organization is left alone.
/// </summary>
[Collection(Collections.Platform)]
public sealed class ScimThroughGatewayTests(PlatformFixture fixture)
{
    private const string UserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
    private const string PatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

    [Fact]
    public async Task Deprovisioning_by_scim_revokes_the_keys_the_person_created_and_touches_nothing_of_their_other_organization()
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        using var issued = await owner.Browser.PostAsJsonAsync($"/v1/organizations/{organization}/scim/token", new { defaultRole = "Viewer" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var issuedBody = await issued.Content.ReadFromJsonAsync<JsonElement>();
        var scimToken = issuedBody.GetProperty("token").GetString()!;
        Assert.EndsWith("/scim/v2/", issuedBody.GetProperty("baseUrl").GetString(), StringComparison.Ordinal);
        using var mapped = await owner.Browser.PutAsJsonAsync($"/v1/organizations/{organization}/scim/role-mappings",
            new { mappings = new[] { new { group = "Platform Admins", role = "Admin" } } });
        Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);
        var client = await owner.CreateClientAsync(organization);

        using var scim = fixture.App.CreateHttpClient("gateway");
        scim.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", scimToken);
        // The person has an organization of their own (B), which SCIM of this one must leave alone.
        var (person, own) = await IdentityUser.OwnerAsync(fixture);
        using var created = await scim.PostAsync("/scim/v2/Users", Scim(new
        {
            schemas = new[] { UserSchema },
            userName = person.Email,
            externalId = "00u-person",
            name = new { givenName = "Pat", familyName = "Person" },
            emails = new[] { new { value = person.Email, type = "work", primary = true } },
            active = true,
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith("application/scim+json", created.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var personId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using var group = await scim.PostAsync("/scim/v2/Groups", Scim(new
        {
            schemas = new[] { "urn:ietf:params:scim:schemas:core:2.0:Group" },
            displayName = "Platform Admins",
            members = new[] { new { value = personId } },
        }));
        Assert.Equal(HttpStatusCode.Created, group.StatusCode);

        // As an Admin of the organization (from the group), the person creates a key there.
        await person.EnrolTotpAsync();
        await person.StepUpAsync();
        var token = await person.AccessTokenAsync(client, extra: new Dictionary<string, string> { ["organization"] = organization });
        Assert.Equal("Admin", IdentityUser.Claims(token).GetProperty("roles")[0].GetString());
        using var console = fixture.App.CreateHttpClient("gateway");
        console.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var key = await console.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "person's key",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
        });
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        using var product = fixture.App.CreateHttpClient("gateway");
        product.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString());
        using (var used = await product.GetAsync("/v1/datasets/ds_1"))
        {
            Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        }

        // Entra deactivates: a path-less replace with the string "False".
        using var deactivated = await scim.PatchAsync($"/scim/v2/Users/{personId}", Scim(new
        {
            schemas = new[] { PatchSchema },
            Operations = new[] { new { op = "Replace", value = new { active = "False" } } },
        }));
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);

        var waited = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            using var again = await product.GetAsync("/v1/datasets/ds_1");
            status = again.StatusCode;
        }
        while (status == HttpStatusCode.OK && waited.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Unauthorized, status);

        // Gone from this organization, at home in their own.
        var members = await owner.Browser.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/members");
        Assert.DoesNotContain(members.GetProperty("items").EnumerateArray(), m => m.GetProperty("userId").GetString() == personId);
        var mine = await person.Browser.GetFromJsonAsync<JsonElement>("/v1/organizations");
        Assert.Equal([own], mine.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task A_scim_token_is_taken_only_on_the_scim_api_and_reaches_only_its_own_organization()
    {
        var (ownerA, organizationA) = await IdentityUser.OwnerAsync(fixture);
        var (ownerB, organizationB) = await IdentityUser.OwnerAsync(fixture);
        var tokenA = await IssueAsync(ownerA, organizationA);
        var tokenB = await IssueAsync(ownerB, organizationB);
        using var a = fixture.App.CreateHttpClient("gateway");
        a.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokenA);
        using var b = fixture.App.CreateHttpClient("gateway");
        b.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokenB);

        using var created = await a.PostAsync("/scim/v2/Users", Scim(new { schemas = new[] { UserSchema }, userName = $"scim-{Guid.NewGuid():n}@example.com" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using (var foreign = await b.GetAsync($"/scim/v2/Users/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
            Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", (await foreign.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("schemas")[0].GetString());
        }

        using (var foreignDelete = await b.DeleteAsync($"/scim/v2/Users/{id}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreignDelete.StatusCode);
        }

        using (var still = await a.GetAsync($"/scim/v2/Users/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, still.StatusCode);
        }

        // Elsewhere the SCIM token is no credential: the gateway refuses it before any service sees it.
        foreach (var path in new[] { $"/v1/organizations/{organizationA}/members", $"/v1/organizations/{organizationA}/keys", "/v1/datasets/ds_1" })
        {
            using var refused = await a.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/invalid-token", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        // Search, Bulk and /Me pass through the gateway's SCIM route like the rest of /scim/v2, within the token's organization.
        using (var search = await b.PostAsync("/scim/v2/Users/.search", Scim(new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:SearchRequest"),
            ["filter"] = $"id eq \"{id}\"",
            ["sortBy"] = "userName",
        })))
        {
            Assert.Equal(HttpStatusCode.OK, search.StatusCode);
            Assert.Equal(0, (await search.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("totalResults").GetInt32());
        }

        using (var bulk = await b.PostAsync("/scim/v2/Bulk", Scim(new JsonObject
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"),
            ["Operations"] = new JsonArray(new JsonObject { ["method"] = "DELETE", ["path"] = $"/Users/{id}" }),
        })))
        {
            Assert.Equal(HttpStatusCode.OK, bulk.StatusCode);
            Assert.Equal("404", (await bulk.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("Operations")[0].GetProperty("status").GetString());
        }

        using (var me = await a.GetAsync("/scim/v2/Me"))
        {
            Assert.Equal(HttpStatusCode.NotImplemented, me.StatusCode);
        }

        using (var stillThere = await a.GetAsync($"/scim/v2/Users/{id}"))
        {
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        }

        using var unknown = fixture.App.CreateHttpClient("gateway");
        unknown.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "scim_" + new string('x', 43));
        using var denied = await unknown.GetAsync("/scim/v2/Users");
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
    }

    [Fact]
    public async Task A_bulk_request_up_to_the_advertised_payload_size_passes_the_gateway_and_a_larger_one_is_refused_there_changing_nothing()
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        using var scim = fixture.App.CreateHttpClient("gateway");
        scim.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await IssueAsync(owner, organization));
        var bulkConfig = (await scim.GetFromJsonAsync<JsonElement>("/scim/v2/ServiceProviderConfig")).GetProperty("bulk");
        var maxPayloadSize = bulkConfig.GetProperty("maxPayloadSize").GetInt32();
        var maxOperations = bulkConfig.GetProperty("maxOperations").GetInt32();
        // Well past the 64 KiB every other identity route takes, and within what the service advertises.
        Assert.True(maxPayloadSize > 256 * 1024, $"maxPayloadSize {maxPayloadSize}");

        // As many creations as a bulk may carry, each person's name long enough that the request is far past 64 KiB.
        string[] Emails() => [.. Enumerable.Range(0, maxOperations).Select(_ => $"bulk-{Guid.NewGuid():n}@example.com")];
        JsonObject Request(string[] emails, int nameLength) => new()
        {
            ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:BulkRequest"),
            ["Operations"] = new JsonArray([.. emails.Select((email, i) => (JsonNode)new JsonObject
            {
                ["method"] = "POST",
                ["path"] = "/Users",
                ["bulkId"] = $"p{i}",
                ["data"] = new JsonObject
                {
                    ["schemas"] = new JsonArray(UserSchema),
                    ["userName"] = email,
                    ["name"] = new JsonObject { ["givenName"] = "Bulk", ["familyName"] = new string('b', nameLength) },
                },
            })]),
        };

        var within = Emails();
        var body = Request(within, 200).ToJsonString();
        // JSON whitespace after the last token brings it to three quarters of the advertised size.
        body += new string(' ', maxPayloadSize * 3 / 4 - Encoding.UTF8.GetByteCount(body));
        using (var passed = await scim.PostAsync("/scim/v2/Bulk", new StringContent(body, Encoding.UTF8, "application/scim+json")))
        {
            Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
            var operations = (await passed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("Operations");
            Assert.Equal(maxOperations, operations.GetArrayLength());
            Assert.All(operations.EnumerateArray(), o => Assert.Equal("201", o.GetProperty("status").GetString()));
        }

        // One byte over the advertised size: the gateway refuses it before identity sees it, naming the same size.
        var over = Emails();
        body = Request(over, 200).ToJsonString();
        body += new string(' ', maxPayloadSize + 1 - Encoding.UTF8.GetByteCount(body));
        // With Expect: 100-continue, as a client sending a large body should: the gateway's 413 comes before the body, and
        // the client does not write a megabyte into a connection the gateway has closed (a broken pipe instead of 413).
        using var tooLarge = new HttpRequestMessage(HttpMethod.Post, "/scim/v2/Bulk") { Content = new StringContent(body, Encoding.UTF8, "application/scim+json") };
        tooLarge.Headers.ExpectContinue = true;
        using (var refused = await scim.SendAsync(tooLarge))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("https://platform.dev/problems/body-too-large", problem.GetProperty("type").GetString());
            Assert.Contains(maxPayloadSize.ToString(System.Globalization.CultureInfo.InvariantCulture), problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        foreach (var (email, expected) in new[] { (within[^1], 1), (over[0], 0), (over[^1], 0) })
        {
            var found = await scim.GetFromJsonAsync<JsonElement>($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{email}\"")}");
            Assert.Equal(expected, found.GetProperty("totalResults").GetInt32());
        }
    }

    private static async Task<string> IssueAsync(IdentityUser owner, string organization)
    {
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        using var issued = await owner.Browser.PostAsJsonAsync($"/v1/organizations/{organization}/scim/token", new { defaultRole = "Developer" });
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        return (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("token").GetString()!;
    }

    private static StringContent Scim(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/scim+json");

    private static StringContent Scim(System.Text.Json.Nodes.JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/scim+json");
}
