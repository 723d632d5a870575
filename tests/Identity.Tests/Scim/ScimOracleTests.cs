using System.Net;
using System.Text.Json.Nodes;
using Platform.Identity.Tests.Infrastructure;
using static Platform.Identity.Tests.Scim.ScimOrganization;

namespace Platform.Identity.Tests.Scim;

/// <summary>
/// Our SCIM answers beside implementations that are not ours (issue 18 item 6): every resource we return passes
/// scimmy's User/Group schemas unchanged, every filter selects on a fixed dataset what scim2-parse-filter selects on
/// the same resources, and every PATCH leaves what scim-patch makes of the same operations. The dataset keeps values
/// lower-case and gives every record the attributes compared with <c>ne</c>: scim2-parse-filter compares
/// case-sensitively whatever the schema says (we follow caseExact: userName eq is case-insensitive, tested in ScimTests)
/// and never matches <c>ne</c> on an absent attribute (we do; RFC 7644 leaves it open). A <c>not</c> inside brackets is
/// checked against the RFC by hand (the library negates over the whole list).
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ScimOracleTests(IdentityFixture fixture)
{
    private const string Enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    [Fact]
    public async Task Resources_filters_and_patches_agree_with_scimmy_scim2_parse_filter_and_scim_patch()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var domain = $"d{Guid.NewGuid():n}"[..12] + ".example";
        var people = new (string Name, string Title, string UserType, string? Department, string[] EmailTypes, bool Active, string Family)[]
        {
            ("ada", "engineer", "employee", "research", ["work", "home"], true, "lovelace"),
            ("grace", "admiral", "employee", "navy", ["work"], true, "hopper"),
            ("alan", "engineer", "contractor", "research", ["home"], false, "turing"),
            ("katherine", "mathematician", "employee", null, ["work"], true, "johnson"),
            ("edsger", "professor", "contractor", "algorithms", ["work", "other"], false, "dijkstra"),
            ("barbara", "", "employee", "systems", ["work"], true, "liskov"),
        };
        var ids = new Dictionary<string, string>();
        var created = new List<string>();
        foreach (var person in people)
        {
            var body = new JsonObject
            {
                ["schemas"] = new JsonArray(UserSchema, Enterprise),
                ["userName"] = $"{person.Name}@{domain}",
                ["externalId"] = $"ext-{person.Name}",
                ["displayName"] = $"{person.Name} {person.Family}",
                ["userType"] = person.UserType,
                ["name"] = new JsonObject { ["givenName"] = person.Name, ["familyName"] = person.Family },
                ["emails"] = new JsonArray(person.EmailTypes.Select((type, i) => (JsonNode)new JsonObject
                {
                    ["value"] = type == "work" ? $"{person.Name}@{domain}" : $"{person.Name}.{type}@elsewhere.example",
                    ["type"] = type,
                    ["primary"] = i == 0,
                }).ToArray()),
                ["active"] = person.Active,
            };
            if (person.Title.Length > 0) body["title"] = person.Title;
            if (person.Department is not null) body[Enterprise] = new JsonObject { ["department"] = person.Department };
            var response = await org.Scim.PostAsync("/scim/v2/Users", Json(body));
            var user = await ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.Created, user.ToJsonString());
            ids[person.Name] = user["id"]!.GetValue<string>();
            created.Add(user["meta"]!["created"]!.GetValue<string>());
            await fixture.AdvanceAsync(TimeSpan.FromSeconds(1));
        }

        var researchers = (await org.CreateGroupAsync("researchers", ids["ada"], ids["alan"]))["id"]!.GetValue<string>();
        await org.CreateGroupAsync("navy", ids["grace"]);
        var all = await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users?count=50"));
        var resources = all["Resources"]!.AsArray();
        Assert.Equal(people.Length, resources.Count);
        var groups = (await ReadAsync(await org.Scim.GetAsync("/scim/v2/Groups")))["Resources"]!.AsArray();

        string[] filters =
        [
            $"userName eq \"ada@{domain}\"", $"userName ne \"ada@{domain}\"", "userName sw \"a\"", $"userName ew \"@{domain}\"", "userName co \"ra\"",
            "userName gt \"edsger\"", "userName lt \"c\"", "userName ge \"grace\"", "title eq \"engineer\"", "title pr", "not (title pr)", "active eq true",
            "active eq false", "active ne true", "emails[type eq \"home\"]", "emails[type eq \"work\" and value sw \"g\"]", "emails.type eq \"other\"",
            "emails.value co \"grace\"", "emails pr", $"{Enterprise}:department eq \"research\"", $"{Enterprise}:department pr",
            "title eq \"engineer\" and userType eq \"contractor\"", "title eq \"engineer\" or userType eq \"contractor\"",
            "(title eq \"engineer\" or title eq \"admiral\") and active eq true", "not (userType eq \"employee\") and emails[type eq \"work\"]",
            "name.givenName sw \"a\" or name.familyName ew \"n\"", "displayName co \"a\" and not (displayName co \"e\")", "userType ne \"employee\"",
            "externalId eq \"ext-alan\"", $"id eq \"{ids["grace"]}\"", $"groups.value eq \"{researchers}\"", "groups[display eq \"navy\"]",
            $"meta.created ge \"{created[3]}\"", $"meta.created lt \"{created[3]}\"",
            "title eq \"engineer\" and (emails[type eq \"home\"] or active eq false) or name.familyName eq \"liskov\"",
        ];
        var ours = new JsonArray();
        foreach (var filter in filters)
        {
            var response = await org.Scim.GetAsync($"/scim/v2/Users?count=50&filter={Uri.EscapeDataString(filter)}");
            var page = await ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{filter}: {page.ToJsonString()}");
            ours.Add(new JsonArray(page["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal).Select(id => (JsonNode)id).ToArray()));
        }

        // Sorting (and the same through POST /Users/.search), against scimmy's ListResponse: a missing value last when
        // ascending, a multi-valued attribute by its primary value, descending the exact reverse. ("emails", not
        // "emails.value": scimmy's ListResponse resolves the primary's value and then looks for "value" in that string.)
        (string By, string Order)[] sorts =
        [
            ("userName", "ascending"), ("userName", "descending"), ("name.familyName", "ascending"), ("title", "ascending"), ("title", "descending"),
            ("emails", "ascending"), ("emails", "descending"), ("meta.created", "descending"), ("displayName", "ascending"),
        ];
        var sortedOurs = new List<JsonArray>();
        foreach (var (by, order) in sorts)
        {
            var response = await org.Scim.GetAsync($"/scim/v2/Users?count=50&sortBy={by}&sortOrder={order}");
            var page = await ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{by} {order}: {page.ToJsonString()}");
            var list = new JsonArray(page["Resources"]!.AsArray().Select(r => (JsonNode)r!["id"]!.GetValue<string>()).ToArray());
            var searched = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Users/.search", Json(new JsonObject
            {
                ["schemas"] = new JsonArray("urn:ietf:params:scim:api:messages:2.0:SearchRequest"),
                ["sortBy"] = by,
                ["sortOrder"] = order,
                ["count"] = 50,
            })));
            Assert.True(JsonNode.DeepEquals(list, new JsonArray(searched["Resources"]!.AsArray().Select(r => (JsonNode)r!["id"]!.GetValue<string>()).ToArray())), $".search {by} {order}");
            sortedOurs.Add(list);
        }

        // PATCHes on Ada, one after the other: each against the resource as it was just before.
        object[][] patches =
        [
            [new { op = "Replace", path = "name.givenName", value = "augusta" }, new { op = "add", path = "title", value = "countess" }],
            [new { op = "add", path = "emails", value = new[] { new { value = "ada@other.example", type = "other" } } }],
            [new { op = "remove", path = "emails[type eq \"home\"]" }],
            [new { op = "replace", path = "emails[type eq \"work\"].value", value = $"ada.king@{domain}" }],
            [new { op = "Replace", value = new { displayName = "ada king", title = "analyst" } }],
            [new { op = "remove", path = "title" }],
            [new { op = "replace", path = $"{Enterprise}:department", value = "mathematics" }],
            [new { op = "add", path = "name", value = new { middleName = "byron" } }],
        ];
        var patchCases = new JsonArray();
        var patched = new List<JsonObject>();
        var adaPath = $"/scim/v2/Users/{ids["ada"]}";
        foreach (var operations in patches)
        {
            var before = await ReadAsync(await org.Scim.GetAsync(adaPath));
            var response = await org.Scim.PatchAsync(adaPath, Json(Patch(operations)));
            var after = await ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, after.ToJsonString());
            patchCases.Add(new JsonObject { ["resource"] = before, ["operations"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(operations)) });
            patched.Add(after);
        }

        var oracle = await ScimOracle.RunAsync(new JsonObject
        {
            ["resources"] = resources.DeepClone(),
            ["groups"] = groups.DeepClone(),
            ["filters"] = new JsonArray(filters.Select(f => (JsonNode)f).ToArray()),
            ["patches"] = patchCases,
            ["sorts"] = new JsonArray(sorts.Select(s => (JsonNode)new JsonObject { ["sortBy"] = s.By, ["sortOrder"] = s.Order }).ToArray()),
        });

        for (var i = 0; i < sorts.Length; i++)
        {
            var theirs = oracle["sorts"]![i]!;
            Assert.True(theirs["error"] is null, $"scimmy could not sort by {sorts[i]}: {theirs["error"]}");
            Assert.True(JsonNode.DeepEquals(theirs["ids"], sortedOurs[i]), $"sortBy {sorts[i]}: ours {sortedOurs[i].ToJsonString()}, scimmy {theirs["ids"]!.ToJsonString()}");
        }

        foreach (var check in oracle["users"]!.AsArray().Concat(oracle["groups"]!.AsArray()))
        {
            Assert.True(check!["ok"]!.GetValue<bool>(), $"scimmy on {check["id"]}: {check["error"]}");
        }

        for (var i = 0; i < filters.Length; i++)
        {
            var theirs = oracle["filters"]![i]!;
            Assert.True(theirs["error"] is null, $"scim2-parse-filter could not parse {filters[i]}: {theirs["error"]}");
            Assert.True(JsonNode.DeepEquals(theirs["ids"], ours[i]), $"{filters[i]}: ours {ours[i]!.ToJsonString()}, scim2-parse-filter {theirs["ids"]!.ToJsonString()}");
        }

        Assert.Contains(ours, selected => selected!.AsArray().Count is > 0 and < 6);

        // Where scim2-parse-filter departs from RFC 7644 section 3.4.2.2: it applies a negation inside brackets to the
        // whole list ("no email is work") instead of to each value ("some email is not work").
        var notWork = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString("emails[not (type eq \"work\")]")}"));
        Assert.Equal(new[] { ids["ada"], ids["alan"], ids["edsger"] }.Order(StringComparer.Ordinal),
            notWork["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        for (var i = 0; i < patches.Length; i++)
        {
            var theirs = oracle["patches"]![i]!;
            Assert.True(theirs["error"] is null, $"scim-patch failed on patch {i}: {theirs["error"]}");
            Assert.True(JsonNode.DeepEquals(Comparable(theirs["result"]!.AsObject()), Comparable(patched[i])),
                $"patch {i}: ours {Comparable(patched[i]).ToJsonString()}, scim-patch {Comparable(theirs["result"]!.AsObject()).ToJsonString()}");
        }
    }

    /// <summary>A resource without what only the service provider sets (meta) and with its members in name order.</summary>
    private static JsonObject Comparable(JsonObject resource)
    {
        var copy = new JsonObject();
        foreach (var (name, value) in resource.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (name == "meta") continue;
            copy[name] = Sorted(value);
        }

        return copy;
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };
}
