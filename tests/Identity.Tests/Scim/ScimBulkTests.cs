using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Platform.Identity.Tests.Infrastructure;
using static Platform.Identity.Tests.Scim.ScimOrganization;

namespace Platform.Identity.Tests.Scim;

/// <summary>
/// SCIM Bulk (RFC 7644 section 3.7; issue 18 item 3): bulkId references between operations, failOnErrors, the
/// advertised limits refused with 413, each operation checked as the request it stands for (another organization's
/// resources stay out of reach), and a failed operation audited.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ScimBulkTests(IdentityFixture fixture)
{
    private const string BulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

    private static JsonObject Bulk(int? failOnErrors, params JsonObject[] operations)
    {
        var body = new JsonObject { ["schemas"] = new JsonArray(BulkRequest), ["Operations"] = new JsonArray(operations) };
        if (failOnErrors is not null) body["failOnErrors"] = failOnErrors;
        return body;
    }

    private static JsonObject Op(string method, string path, string? bulkId = null, object? data = null)
    {
        var op = new JsonObject { ["method"] = method, ["path"] = path };
        if (bulkId is not null) op["bulkId"] = bulkId;
        if (data is not null) op["data"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(data));
        return op;
    }

    private static string Email(string name) => $"{name}-{Guid.NewGuid():n}"[..(name.Length + 9)] + "@example.com";

    [Fact]
    public async Task Operations_run_in_order_and_refer_to_what_earlier_ones_created()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var (first, second) = (Email("first"), Email("second"));
        var response = await org.Scim.PostAsync("/scim/v2/Bulk", Json(Bulk(null,
            Op("POST", "/Users", "u1", NewUser(first)),
            Op("POST", "/Users", "u2", NewUser(second)),
            Op("POST", "/Groups", "g1", new { schemas = new[] { GroupSchema }, displayName = "Bulk team " + Guid.NewGuid().ToString("n")[..6], members = new[] { new { value = "bulkId:u1" }, new { value = "bulkId:u2" } } }),
            Op("PATCH", "/Users/bulkId:u2", data: Patch(new { op = "replace", path = "active", value = false })),
            Op("PATCH", "/Users/bulkId:nobody", data: Patch(new { op = "replace", path = "active", value = false })))));
        var body = await ReadAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:BulkResponse", body["schemas"]![0]!.GetValue<string>());
        var results = body["Operations"]!.AsArray();
        Assert.Equal(["201", "201", "201", "200", "409"], results.Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal("invalidValue", results[4]!["response"]!["scimType"]!.GetValue<string>());
        var u1 = results[0]!["location"]!.GetValue<string>().Split('/')[^1];
        var u2 = results[1]!["location"]!.GetValue<string>().Split('/')[^1];
        Assert.Equal("u1", results[0]!["bulkId"]!.GetValue<string>());
        Assert.StartsWith("W/\"", results[0]!["version"]!.GetValue<string>(), StringComparison.Ordinal);

        var group = await ReadAsync(await org.Scim.GetAsync(new Uri(results[2]!["location"]!.GetValue<string>()).AbsolutePath));
        Assert.Equal(new[] { u1, u2 }.Order(StringComparer.Ordinal), group["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.False((await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{u2}")))["active"]!.GetValue<bool>());
        Assert.True((await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{u1}")))["active"]!.GetValue<bool>());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.refused"
            && e.GetProperty("organizationId").GetString() == org.OrgId && e.GetProperty("details").GetProperty("reason").GetString() == "invalidValue"
            && e.GetProperty("details").TryGetProperty("bulkMethod", out _));

        // Past the service's ordinary 64 KiB body limit, within the advertised maxPayloadSize: taken.
        var wide = Bulk(null, Enumerable.Range(0, 70).Select(i => Op("POST", "/Users", $"w{i}", new Dictionary<string, object>
        {
            ["schemas"] = new[] { UserSchema }, ["userName"] = Email("wide"), ["displayName"] = new string('w', 1000),
        })).ToArray());
        Assert.True(Encoding.UTF8.GetByteCount(wide.ToJsonString()) > 64 * 1024);
        var taken = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Bulk", Json(wide)));
        Assert.All(taken["Operations"]!.AsArray(), r => Assert.Equal("201", r!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task FailOnErrors_stops_the_run_and_limits_and_malformed_requests_are_refused_whole()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var existing = (await org.CreateUserAsync())["userName"]!.GetValue<string>();
        var never = Email("never");
        var stopped = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Bulk", Json(Bulk(1,
            Op("POST", "/Users", "dup", NewUser(existing)),
            Op("POST", "/Users", "later", NewUser(never))))));
        Assert.Equal(["409"], stopped["Operations"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()));
        Assert.Equal("uniqueness", stopped["Operations"]![0]!["response"]!["scimType"]!.GetValue<string>());
        var search = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{never}\"")}"));
        Assert.Equal(0, search["totalResults"]!.GetValue<int>());

        var tooMany = Bulk(null, Enumerable.Range(0, 101).Select(i => Op("POST", "/Users", $"b{i}", NewUser(Email("many")))).ToArray());
        Assert.Null(await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Bulk", Json(tooMany)), HttpStatusCode.RequestEntityTooLarge));
        var huge = Bulk(null, Op("POST", "/Users", "big", new Dictionary<string, object> { ["schemas"] = new[] { UserSchema }, ["userName"] = Email("big"), ["title"] = new string('x', 1024 * 1024) }));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await org.Scim.PostAsync("/scim/v2/Bulk", Json(huge))).StatusCode);
        Assert.Equal("invalidSyntax", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Bulk",
            Json(new JsonObject { ["Operations"] = new JsonArray(Op("POST", "/Users", "x", NewUser(Email("noschema")))) })), HttpStatusCode.BadRequest));
        Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Bulk",
            Json(Bulk(null, Op("POST", "/Users", "same", NewUser(Email("a"))), Op("POST", "/Users", "same", NewUser(Email("b")))))), HttpStatusCode.BadRequest));
        var total = await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users?count=0"));
        Assert.Equal(1, total["totalResults"]!.GetValue<int>());

        // A POST without a bulkId, a path outside Users/Groups, an Owner: each refused in its own result.
        var mixed = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Bulk", Json(Bulk(null,
            Op("POST", "/Users", data: NewUser(Email("nobulkid"))),
            Op("DELETE", "/ServiceProviderConfig/x"),
            Op("PATCH", $"/Users/{org.Owner.Id}", data: Patch(new { op = "replace", path = "active", value = false }))))));
        Assert.Equal(["400", "400", "404"], mixed["Operations"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Another_organizations_resources_are_not_found_in_a_bulk_request()
    {
        var a = await ScimOrganization.CreateAsync(fixture);
        var b = await ScimOrganization.CreateAsync(fixture);
        var victim = (await a.CreateUserAsync())["id"]!.GetValue<string>();
        var group = (await a.CreateGroupAsync("A team " + Guid.NewGuid().ToString("n")[..6], victim))["id"]!.GetValue<string>();
        var answer = await ReadAsync(await b.Scim.PostAsync("/scim/v2/Bulk", Json(Bulk(null,
            Op("PATCH", $"/Users/{victim}", data: Patch(new { op = "replace", path = "active", value = false })),
            Op("DELETE", $"/Groups/{group}"),
            Op("POST", "/Groups", "g", new { schemas = new[] { GroupSchema }, displayName = "B team", members = new[] { new { value = victim } } }),
            Op("PUT", $"/Users/{victim}", data: NewUser(Email("hijack")))))));
        Assert.Equal(["404", "404", "400", "404"], answer["Operations"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()));
        var still = await ReadAsync(await a.Scim.GetAsync($"/scim/v2/Users/{victim}"));
        Assert.True(still["active"]!.GetValue<bool>());
        Assert.Equal("W/\"1\"", still["meta"]!["version"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await a.Scim.GetAsync($"/scim/v2/Groups/{group}")).StatusCode);
    }
}
