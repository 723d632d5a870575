using System.Net;
using System.Text.Json.Nodes;
using Platform.Identity.Tests.Infrastructure;
using static Platform.Identity.Tests.Scim.ScimOrganization;

namespace Platform.Identity.Tests.Scim;

/// <summary>
/// Sorting, <c>POST /.search</c> and <c>/Me</c> (RFC 7644 sections 3.4.2.3, 3.4.3 and 3.11; issue 18 item 3). The
/// orders themselves are checked against scimmy in <see cref="ScimOracleTests"/>; here: groups, bad input, another
/// organization's token, and what is advertised.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ScimSearchTests(IdentityFixture fixture)
{
    private const string SearchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

    private static JsonObject Search(object? filter = null, string? sortBy = null, string? sortOrder = null, int? count = null)
    {
        var body = new JsonObject { ["schemas"] = new JsonArray(SearchRequest) };
        if (filter is not null) body["filter"] = filter.ToString();
        if (sortBy is not null) body["sortBy"] = sortBy;
        if (sortOrder is not null) body["sortOrder"] = sortOrder;
        if (count is not null) body["count"] = count;
        return body;
    }

    private static IEnumerable<string> Ids(JsonObject page) => page["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>());

    [Fact]
    public async Task Search_by_post_answers_as_the_query_does_and_sorts_groups_case_insensitively()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var tag = Guid.NewGuid().ToString("n")[..8];
        var users = new List<string>();
        foreach (var name in new[] { "carol", "Alice", "bob" }) users.Add((await org.CreateUserAsync($"{name}-{tag}@example.com"))["id"]!.GetValue<string>());
        var byName = Ids(await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users?sortBy=userName"))).ToList();
        Assert.Equal([users[1], users[2], users[0]], byName);
        var filter = $"userName sw \"b\" or userName sw \"c\"";
        var searched = await org.Scim.PostAsync("/scim/v2/Users/.search", Json(Search(filter, "userName", "descending")));
        Assert.Equal(HttpStatusCode.OK, searched.StatusCode);
        var page = await ReadAsync(searched);
        Assert.Equal(2, page["totalResults"]!.GetValue<int>());
        Assert.Equal([users[0], users[2]], Ids(page));
        var paged = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Users/.search", Json(new JsonObject
        {
            ["schemas"] = new JsonArray(SearchRequest), ["sortBy"] = "userName", ["startIndex"] = 2, ["count"] = 1, ["attributes"] = new JsonArray("userName"),
        })));
        Assert.Equal([users[2]], Ids(paged));
        Assert.Null(paged["Resources"]![0]!["emails"]);

        var groups = new List<string>();
        foreach (var name in new[] { "zeta", "Alpha", "mid" }) groups.Add((await org.CreateGroupAsync($"{name}-{tag}"))["id"]!.GetValue<string>());
        Assert.Equal([groups[1], groups[2], groups[0]], Ids(await ReadAsync(await org.Scim.GetAsync("/scim/v2/Groups?sortBy=displayName"))));
        var groupSearch = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Groups/.search", Json(Search(sortBy: "displayName", sortOrder: "Descending"))));
        Assert.Equal([groups[0], groups[2], groups[1]], Ids(groupSearch));

        // Another organization's token searches its own organization only.
        var other = await ScimOrganization.CreateAsync(fixture);
        var foreign = await ReadAsync(await other.Scim.PostAsync("/scim/v2/Users/.search", Json(Search($"userName ew \"-{tag}@example.com\" or id eq \"{users[0]}\""))));
        Assert.Equal(0, foreign["totalResults"]!.GetValue<int>());
        Assert.Equal(0, (await ReadAsync(await other.Scim.PostAsync("/scim/v2/Groups/.search", Json(Search($"id eq \"{groups[0]}\"")))))["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task Search_at_the_root_spans_users_and_groups_pages_across_them_and_sees_only_the_tokens_organization()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var tag = Guid.NewGuid().ToString("n")[..8];
        var alice = (await org.CreateUserAsync($"alice-{tag}@example.com"))["id"]!.GetValue<string>();
        var bob = (await org.CreateUserAsync($"bob-{tag}@example.com"))["id"]!.GetValue<string>();
        var group = (await org.CreateGroupAsync($"Root group {tag}"))["id"]!.GetValue<string>();

        var all = await ReadAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(Search(sortBy: "id"))));
        Assert.Equal(3, all["totalResults"]!.GetValue<int>());
        Assert.Equal(new[] { alice, bob }.Order(StringComparer.Ordinal).Append(group), Ids(all));
        Assert.Contains(all["Resources"]!.AsArray(), r => r!["schemas"]![0]!.GetValue<string>() == GroupSchema);

        // A filter on an attribute only users have matches no group, and the other way round (RFC 7644 section 3.4.2.2).
        Assert.Equal([bob], Ids(await ReadAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(Search($"userName sw \"bob-{tag}\""))))));
        Assert.Equal([group], Ids(await ReadAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(Search($"displayName eq \"Root group {tag}\""))))));

        // startIndex/count page over users then groups.
        var paged = await ReadAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(new JsonObject
        {
            ["schemas"] = new JsonArray(SearchRequest), ["sortBy"] = "id", ["startIndex"] = 2, ["count"] = 2,
        })));
        Assert.Equal(3, paged["totalResults"]!.GetValue<int>());
        Assert.Equal(new[] { alice, bob }.Order(StringComparer.Ordinal).Skip(1).Append(group), Ids(paged));

        // Bad input is a SCIM error; another organization's token finds nothing of this one.
        Assert.Equal("invalidFilter", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(Search("userName eq"))), HttpStatusCode.BadRequest));
        Assert.Equal("invalidSyntax", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(new { filter = "id pr" })), HttpStatusCode.BadRequest));
        Assert.Equal("invalidFilter", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/.search", Json(Search("shoeSize eq 9"))), HttpStatusCode.BadRequest));
        var other = await ScimOrganization.CreateAsync(fixture);
        var foreign = await ReadAsync(await other.Scim.PostAsync("/scim/v2/.search", Json(Search($"id eq \"{alice}\" or id eq \"{group}\" or userName ew \"-{tag}@example.com\""))));
        Assert.Equal(0, foreign["totalResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task Bad_sorts_and_search_requests_are_scim_errors()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        foreach (var query in new[] { "sortBy=shoeSize", "sortBy=name", "sortBy=password", "sortBy=userName&sortOrder=sideways", "sortOrder=up",
                     "sortBy=" + Uri.EscapeDataString("emails[type eq \"work\"]"), "sortBy=" + Uri.EscapeDataString("userName; DROP TABLE users") })
        {
            Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Users?" + query), HttpStatusCode.BadRequest));
        }

        Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Groups?sortBy=shoeSize"), HttpStatusCode.BadRequest));
        Assert.Equal("invalidSyntax", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Users/.search", Json(new { filter = "userName pr" })), HttpStatusCode.BadRequest));
        Assert.Equal("invalidSyntax", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Users/.search",
            Json(new JsonObject { ["schemas"] = new JsonArray(SearchRequest), ["sql"] = "1=1" })), HttpStatusCode.BadRequest));
        Assert.Equal("invalidFilter", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Users/.search", Json(Search("userName eq"))), HttpStatusCode.BadRequest));
        Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Users/.search",
            Json(new JsonObject { ["schemas"] = new JsonArray(SearchRequest), ["count"] = "ten" })), HttpStatusCode.BadRequest));
        Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Users/.search", Json(Search(sortBy: "nickName", sortOrder: "sideways"))),
            HttpStatusCode.BadRequest));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.refused"
            && e.GetProperty("organizationId").GetString() == org.OrgId && e.GetProperty("details").GetProperty("reason").GetString() == "invalidSyntax");
    }

    [Fact]
    public async Task Me_is_501_for_a_token_that_is_no_user_and_sort_is_advertised()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        foreach (var request in new[] { new HttpRequestMessage(HttpMethod.Get, "/scim/v2/Me"), new HttpRequestMessage(HttpMethod.Patch, "/scim/v2/Me") { Content = Json(Patch()) },
                     new HttpRequestMessage(HttpMethod.Delete, "/scim/v2/Me") })
        {
            var response = await org.Scim.SendAsync(request);
            Assert.Null(await ErrorTypeAsync(response, HttpStatusCode.NotImplemented));
        }

        var config = await ReadAsync(await org.Scim.GetAsync("/scim/v2/ServiceProviderConfig"));
        Assert.True(config["sort"]!["supported"]!.GetValue<bool>());
        // Without a token /Me is what any SCIM path is: 401.
        using var anonymous = fixture.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/scim/v2/Me")).StatusCode);
    }
}
