using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Platform.Identity.Tests.Infrastructure;
using static Platform.Identity.Tests.Scim.ScimOrganization;

namespace Platform.Identity.Tests.Scim;

/// <summary>
/// SCIM 2.0 provisioning (issue 18 item 6) in-process against the real PostgreSQL and RabbitMQ: the Owner's token,
/// Users and Groups as Okta's and Entra's validators drive them, and what provisioning does to the platform.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ScimTests(IdentityFixture fixture)
{
    [Fact]
    public async Task Only_an_Owner_with_a_recent_second_factor_issues_the_token_which_is_shown_once_and_never_logged()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var status = await org.Owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{org.OrgId}/scim/token");
        Assert.Equal(org.Token[..9], status.GetProperty("hint").GetString());
        Assert.DoesNotContain(org.Token, status.GetRawText(), StringComparison.Ordinal);

        // An Admin can read the status but not issue; an Owner without a fresh second factor is asked for one.
        var admin = await TestUser.CreateAsync(fixture);
        await AddMemberAsync(org, admin, "Admin");
        var refused = await admin.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/scim/token", new { defaultRole = "Viewer" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(16));
        var stale = await org.Owner.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/scim/token", new { defaultRole = "Viewer" });
        Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        Assert.Equal("https://platform.dev/problems/step-up-required", (await stale.ProblemAsync()).Type);
        await org.Owner.StepUpAsync();
        var owner = await org.Owner.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/scim/token", new { defaultRole = "Owner" });
        Assert.Equal(HttpStatusCode.BadRequest, owner.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await org.Scim.GetAsync("/scim/v2/ServiceProviderConfig")).StatusCode);
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(org.Token, StringComparison.Ordinal));
        var audited = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.token_created"
            && e.GetProperty("organizationId").GetString() == org.OrgId);
        Assert.DoesNotContain(org.Token, audited.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotated_out_or_revoked_token_and_anything_that_is_not_a_token_are_refused_with_a_scim_error()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var old = org.Token;
        await org.RotateAsync();
        Assert.Equal(HttpStatusCode.OK, (await org.Scim.GetAsync("/scim/v2/Users")).StatusCode);
        foreach (var credential in new[] { old, "scim_" + new string('A', 43), "not-a-token", "" })
        {
            using var client = fixture.Client();
            if (credential.Length > 0) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);
            var response = await client.GetAsync("/scim/v2/Users");
            Assert.Null(await ErrorTypeAsync(response, HttpStatusCode.Unauthorized));
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // The Owner's session cookie is no SCIM credential either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await org.Owner.Http.GetAsync("/scim/v2/Users")).StatusCode);

        await org.Owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await org.Owner.Http.DeleteAsync($"/v1/organizations/{org.OrgId}/scim/token")).StatusCode);
        Assert.Null(await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Users"), HttpStatusCode.Unauthorized));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.token_revoked"
            && e.GetProperty("organizationId").GetString() == org.OrgId);
    }

    [Fact]
    public async Task Users_follow_the_validators_rules_case_insensitive_userName_409_on_duplicates_404_for_unknown_ids_externalId_kept()
    {
        var org = await ScimOrganization.CreateAsync(fixture, defaultRole: "Developer");
        var userName = TestUser.NewEmail("Okta.User");
        var created = await org.Scim.PostAsync("/scim/v2/Users", Json(NewUser(userName, externalId: "00u1abcd")));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var user = await ReadAsync(created);
        var id = user["id"]!.GetValue<string>();
        Assert.Equal($"https://localhost/scim/v2/Users/{id}", created.Headers.Location!.ToString());
        Assert.Equal("W/\"1\"", created.Headers.ETag!.ToString());
        Assert.Equal("00u1abcd", user["externalId"]!.GetValue<string>());
        Assert.True(user["active"]!.GetValue<bool>());
        Assert.Equal("User", user["meta"]!["resourceType"]!.GetValue<string>());
        Assert.Equal("Developer", await org.RoleOfAsync(id));

        var duplicate = await org.Scim.PostAsync("/scim/v2/Users", Json(NewUser(userName.ToUpperInvariant())));
        Assert.Equal("uniqueness", await ErrorTypeAsync(duplicate, HttpStatusCode.Conflict));

        var found = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"userName eq \"{userName.ToUpperInvariant()}\"")}"));
        Assert.Equal(1, found["totalResults"]!.GetValue<int>());
        Assert.Equal(id, found["Resources"]![0]!["id"]!.GetValue<string>());
        var none = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString("userName eq \"nobody@example.com\"")}"));
        Assert.Equal(0, none["totalResults"]!.GetValue<int>());
        Assert.Empty(none["Resources"]!.AsArray());

        Assert.Null(await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Users/usr_0000000000000000000000000000dead"), HttpStatusCode.NotFound));
        Assert.Null(await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Users/not-an-id"), HttpStatusCode.NotFound));

        // PUT replaces; the answer and a GET agree, and an excluded attribute is left out.
        var replaced = await org.Scim.PutAsync($"/scim/v2/Users/{id}", Json(new Dictionary<string, object?>
        {
            ["schemas"] = new[] { UserSchema },
            ["userName"] = userName,
            ["externalId"] = "00u1abcd",
            ["name"] = new { givenName = "Augusta", familyName = "King" },
            ["displayName"] = "Augusta Ada King",
        }));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal("W/\"2\"", replaced.Headers.ETag!.ToString());
        var fetched = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{id}?excludedAttributes=name,emails"));
        Assert.Equal("Augusta Ada King", fetched["displayName"]!.GetValue<string>());
        Assert.Null(fetched["name"]);
        Assert.Null(fetched["emails"]);
        Assert.Equal(id, fetched["id"]!.GetValue<string>());
        var only = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{id}?attributes=name.givenName"));
        Assert.Equal(["id", "name", "schemas"], only.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("Augusta", only["name"]!["givenName"]!.GetValue<string>());
        Assert.Null(only["name"]!["familyName"]);
    }

    [Fact]
    public async Task Patch_takes_case_insensitive_ops_pathless_values_and_entras_string_booleans_and_ETags_guard_changes()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var user = await org.CreateUserAsync();
        var id = user["id"]!.GetValue<string>();
        var patch = await org.Scim.PatchAsync($"/scim/v2/Users/{id}", Json(Patch(
            new { op = "Replace", value = new Dictionary<string, object> { ["name.givenName"] = "Grace", ["displayName"] = "Grace H" } },
            new { op = "Add", path = "emails[type eq \"home\"].value", value = "grace@home.example" },
            new { op = "replace", path = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", value = "Navy" })));
        var patched = await ReadAsync(patch);
        Assert.True(patch.StatusCode == HttpStatusCode.OK, patched.ToJsonString());
        Assert.Equal("Grace", patched["name"]!["givenName"]!.GetValue<string>());
        Assert.Equal("Lovelace", patched["name"]!["familyName"]!.GetValue<string>());
        Assert.Equal(2, patched["emails"]!.AsArray().Count);
        Assert.Equal("Navy", patched["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]!["department"]!.GetValue<string>());
        Assert.Contains("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", patched["schemas"]!.AsArray().Select(s => s!.GetValue<string>()));

        // A stale If-Match is 412 and changes nothing; the current one passes.
        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/scim/v2/Users/{id}") { Content = Json(Patch(new { op = "remove", path = "emails[type eq \"home\"]" })) };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\"", isWeak: true));
        Assert.Null(await ErrorTypeAsync(await org.Scim.SendAsync(stale), HttpStatusCode.PreconditionFailed));
        Assert.Equal(2, (await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{id}")))["emails"]!.AsArray().Count);
        using var current = new HttpRequestMessage(HttpMethod.Patch, $"/scim/v2/Users/{id}") { Content = Json(Patch(new { op = "remove", path = "emails[type eq \"home\"]" })) };
        current.Headers.IfMatch.Add(new EntityTagHeaderValue("\"2\"", isWeak: true));
        var removed = await org.Scim.SendAsync(current);
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        Assert.Single((await ReadAsync(removed))["emails"]!.AsArray());

        // Entra deactivates with a path-less replace and the string "False".
        var deactivated = await org.Scim.PatchAsync($"/scim/v2/Users/{id}", Json(Patch(new { op = "Replace", value = new { active = "False" } })));
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);
        Assert.False((await ReadAsync(deactivated))["active"]!.GetValue<bool>());
        Assert.Null(await org.RoleOfAsync(id));
        var reactivated = await org.Scim.PatchAsync($"/scim/v2/Users/{id}", Json(Patch(new { op = "replace", path = "active", value = true })));
        Assert.Equal(HttpStatusCode.OK, reactivated.StatusCode);
        Assert.Equal("Viewer", await org.RoleOfAsync(id));
    }

    [Fact]
    public async Task Read_only_attributes_unknown_attributes_and_malformed_requests_are_scim_errors_that_change_nothing()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var user = await org.CreateUserAsync();
        var id = user["id"]!.GetValue<string>();
        var cases = new (object Body, string ScimType)[]
        {
            (Patch(new { op = "replace", path = "id", value = "usr_0000000000000000000000000000beef" }), "mutability"),
            (Patch(new { op = "replace", path = "meta.created", value = "2001-01-01T00:00:00Z" }), "mutability"),
            (Patch(new { op = "replace", value = new { id = "usr_0000000000000000000000000000beef" } }), "mutability"),
            (Patch(new { op = "add", path = "groups", value = new[] { new { value = "grp_x" } } }), "mutability"),
            (Patch(new { op = "replace", path = "favouriteColour", value = "blue" }), "invalidPath"),
            (Patch(new { op = "replace", path = "emails[type eq ]", value = "x" }), "invalidPath"),
            (Patch(new { op = "remove" }), "noTarget"),
            (Patch(new { op = "replace", path = "emails[type eq \"fax\"]", value = new { value = "x@example.com" } }), "noTarget"),
            (Patch(new { op = "launch", path = "active", value = false }), "invalidSyntax"),
            (new { Operations = new[] { new { op = "replace", path = "active", value = false } } }, "invalidSyntax"),
            (Patch(new { op = "replace", path = "active", value = "maybe" }), "invalidValue"),
            (Patch(new { op = "replace", path = "emails", value = new[] { new { value = "a@example.com", primary = true }, new { value = "b@example.com", primary = true } } }), "invalidValue"),
        };
        foreach (var (body, scimType) in cases)
        {
            var response = await org.Scim.PatchAsync($"/scim/v2/Users/{id}", Json(body));
            Assert.Equal(scimType, await ErrorTypeAsync(response, HttpStatusCode.BadRequest));
        }

        var unknown = await org.Scim.PostAsync("/scim/v2/Users", Json(new { schemas = new[] { UserSchema }, userName = TestUser.NewEmail(), shoeSize = 44 }));
        Assert.Equal("invalidValue", await ErrorTypeAsync(unknown, HttpStatusCode.BadRequest));
        var noSchemas = await org.Scim.PostAsync("/scim/v2/Users", Json(new { userName = TestUser.NewEmail() }));
        Assert.Equal("invalidSyntax", await ErrorTypeAsync(noSchemas, HttpStatusCode.BadRequest));
        var noEmail = await org.Scim.PostAsync("/scim/v2/Users", Json(new { schemas = new[] { UserSchema }, userName = "jdoe" }));
        Assert.Equal("invalidValue", await ErrorTypeAsync(noEmail, HttpStatusCode.BadRequest));
        var notJson = await org.Scim.PostAsync("/scim/v2/Users", new StringContent("{\"userName\":", System.Text.Encoding.UTF8, "application/scim+json"));
        Assert.Equal("invalidSyntax", await ErrorTypeAsync(notJson, HttpStatusCode.BadRequest));

        var after = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{id}"));
        Assert.Equal("W/\"1\"", after["meta"]!["version"]!.GetValue<string>());
        Assert.Equal(id, after["id"]!.GetValue<string>());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.refused"
            && e.GetProperty("organizationId").GetString() == org.OrgId && e.GetProperty("details").GetProperty("reason").GetString() == "mutability");
    }

    [Fact]
    public async Task Filters_that_do_not_parse_or_name_unknown_attributes_are_invalidFilter()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        foreach (var filter in new[]
        {
            "userName eq", "userName xx \"a\"", "userName eq \"a", "(userName eq \"a\"", "shoeSize eq \"44\"", "userName eq 'a'",
            "active co \"t\"", "userName eq \"a\" or 1 eq 1", "emails[type eq \"work\"", "meta.created gt \"yesterday\"", "urn:example:Foo:bar eq \"x\"",
            "password eq \"secret\"",
        })
        {
            var response = await org.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString(filter)}");
            Assert.Equal("invalidFilter", await ErrorTypeAsync(response, HttpStatusCode.BadRequest));
        }

        Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Users?startIndex=x"), HttpStatusCode.BadRequest));
        Assert.Equal("invalidValue", await ErrorTypeAsync(await org.Scim.GetAsync("/scim/v2/Users?attributes=shoeSize"), HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Paging_counts_from_one_and_caps_the_page()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var ids = new List<string>();
        for (var i = 0; i < 5; i++) ids.Add((await org.CreateUserAsync())["id"]!.GetValue<string>());
        var page = await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users?startIndex=2&count=2"));
        Assert.Equal(5, page["totalResults"]!.GetValue<int>());
        Assert.Equal(2, page["startIndex"]!.GetValue<int>());
        Assert.Equal(2, page["itemsPerPage"]!.GetValue<int>());
        Assert.Equal(ids.Skip(1).Take(2), page["Resources"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()));
        var counted = await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users?count=0"));
        Assert.Equal(5, counted["totalResults"]!.GetValue<int>());
        Assert.Empty(counted["Resources"]!.AsArray());
        var past = await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users?startIndex=0&count=-3"));
        Assert.Equal(1, past["startIndex"]!.GetValue<int>());
    }

    [Fact]
    public async Task Groups_map_to_roles_and_membership_changes_by_patch_move_the_role_but_never_to_Owner()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        await org.Owner.StepUpAsync();
        var ownerMapping = await org.Owner.Http.PutAsJsonAsync($"/v1/organizations/{org.OrgId}/scim/role-mappings",
            new { mappings = new[] { new { group = "Founders", role = "Owner" } } });
        Assert.Equal(HttpStatusCode.BadRequest, ownerMapping.StatusCode);
        var mapped = await org.Owner.Http.PutAsJsonAsync($"/v1/organizations/{org.OrgId}/scim/role-mappings",
            new { mappings = new[] { new { group = "Platform Admins", role = "Admin" }, new { group = "Engineering", role = "Developer" } } });
        Assert.Equal(HttpStatusCode.OK, mapped.StatusCode);

        var alice = (await org.CreateUserAsync())["id"]!.GetValue<string>();
        var bob = (await org.CreateUserAsync())["id"]!.GetValue<string>();
        Assert.Equal("Viewer", await org.RoleOfAsync(alice));
        var engineering = await org.CreateGroupAsync("engineering", alice, bob);
        var engineeringId = engineering["id"]!.GetValue<string>();
        Assert.Equal(2, engineering["members"]!.AsArray().Count);
        Assert.Equal("Developer", await org.RoleOfAsync(alice));
        var admins = await org.CreateGroupAsync("Platform Admins");
        var adminsId = admins["id"]!.GetValue<string>();
        Assert.Equal("uniqueness", await ErrorTypeAsync(await org.Scim.PostAsync("/scim/v2/Groups", Json(new { schemas = new[] { GroupSchema }, displayName = "PLATFORM admins" })),
            HttpStatusCode.Conflict));

        var add = await org.Scim.PatchAsync($"/scim/v2/Groups/{adminsId}", Json(Patch(new { op = "Add", path = "members", value = new[] { new { value = alice } } })));
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        Assert.Equal("Admin", await org.RoleOfAsync(alice));
        var user = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{alice}"));
        Assert.Equal(new[] { adminsId, engineeringId }.Order(StringComparer.Ordinal),
            user["groups"]!.AsArray().Select(g => g!["value"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        var remove = await org.Scim.PatchAsync($"/scim/v2/Groups/{adminsId}", Json(Patch(new { op = "remove", path = $"members[value eq \"{alice}\"]" })));
        Assert.Equal(HttpStatusCode.OK, remove.StatusCode);
        Assert.Equal("Developer", await org.RoleOfAsync(alice));
        // Entra's way: remove with the members listed in the value.
        var entra = await org.Scim.PatchAsync($"/scim/v2/Groups/{engineeringId}", Json(Patch(new { op = "Remove", path = "members", value = new[] { new { value = bob } } })));
        Assert.Equal(HttpStatusCode.OK, entra.StatusCode);
        Assert.Equal([alice], (await ReadAsync(entra))["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()));
        Assert.Equal("Viewer", await org.RoleOfAsync(bob));

        var filtered = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Groups?filter={Uri.EscapeDataString($"members[value eq \"{alice}\"] and displayName sw \"ENG\"")}"));
        Assert.Equal(engineeringId, Assert.Single(filtered["Resources"]!.AsArray())!["id"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await org.Scim.DeleteAsync($"/scim/v2/Groups/{engineeringId}")).StatusCode);
        Assert.Equal("Viewer", await org.RoleOfAsync(alice));
        Assert.Null(await ErrorTypeAsync(await org.Scim.GetAsync($"/scim/v2/Groups/{engineeringId}"), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Deactivating_a_user_ends_their_sessions_and_refresh_tokens_and_tells_the_keys_service()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var person = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.OK, (await person.Http.GetAsync("/v1/me")).StatusCode);
        var linked = await ReadAsync(await org.Scim.PostAsync("/scim/v2/Users", Json(NewUser(person.Email))));
        Assert.Equal(person.Id, linked["id"]!.GetValue<string>());
        Assert.Equal("Viewer", await org.RoleOfAsync(person.Id));

        var response = await org.Scim.PatchAsync($"/scim/v2/Users/{person.Id}", Json(Patch(new { op = "replace", path = "active", value = false })));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(await org.RoleOfAsync(person.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await person.Http.GetAsync("/v1/me")).StatusCode);
        var deprovisioned = await fixture.Events.WaitForAsync("identity.member.deprovisioned", e => e.GetProperty("userId").GetString() == person.Id);
        Assert.Equal(org.OrgId, deprovisioned.GetProperty("organizationId").GetString());
        var audit = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.user_deprovisioned"
            && e.GetProperty("target").GetString() == person.Id);
        Assert.Equal("1", audit.GetProperty("details").GetProperty("sessions").GetString());
        Assert.StartsWith("scim:scim_", audit.GetProperty("actor").GetString(), StringComparison.Ordinal);
        await using var tokens = fixture.Database.CreateCommand("""SELECT count(*) FROM oidc."OpenIddictTokens" WHERE "Subject" = $1 AND "Status" = 'valid'""");
        tokens.Parameters.AddWithValue(person.Id);
        Assert.Equal(0L, await tokens.ExecuteScalarAsync());

        // The resource stays, inactive; DELETE removes it.
        Assert.False((await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Users/{person.Id}")))["active"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.NoContent, (await org.Scim.DeleteAsync($"/scim/v2/Users/{person.Id}")).StatusCode);
        Assert.Null(await ErrorTypeAsync(await org.Scim.GetAsync($"/scim/v2/Users/{person.Id}"), HttpStatusCode.NotFound));
    }

    [Fact]
    public async Task Another_organizations_token_finds_nothing_of_this_one_and_changes_nothing()
    {
        var a = await ScimOrganization.CreateAsync(fixture);
        var b = await ScimOrganization.CreateAsync(fixture);
        var user = await a.CreateUserAsync();
        var id = user["id"]!.GetValue<string>();
        var group = (await a.CreateGroupAsync("Team A", id))["id"]!.GetValue<string>();

        Assert.Null(await ErrorTypeAsync(await b.Scim.GetAsync($"/scim/v2/Users/{id}"), HttpStatusCode.NotFound));
        Assert.Null(await ErrorTypeAsync(await b.Scim.PutAsync($"/scim/v2/Users/{id}", Json(NewUser("hijack@example.com"))), HttpStatusCode.NotFound));
        Assert.Null(await ErrorTypeAsync(await b.Scim.PatchAsync($"/scim/v2/Users/{id}", Json(Patch(new { op = "replace", path = "active", value = false }))), HttpStatusCode.NotFound));
        Assert.Null(await ErrorTypeAsync(await b.Scim.DeleteAsync($"/scim/v2/Users/{id}"), HttpStatusCode.NotFound));
        Assert.Null(await ErrorTypeAsync(await b.Scim.GetAsync($"/scim/v2/Groups/{group}"), HttpStatusCode.NotFound));
        Assert.Null(await ErrorTypeAsync(await b.Scim.DeleteAsync($"/scim/v2/Groups/{group}"), HttpStatusCode.NotFound));
        var listed = await ReadAsync(await b.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString($"id eq \"{id}\" or userName pr")}"));
        Assert.Equal(0, listed["totalResults"]!.GetValue<int>());
        // B cannot put A's user into its own group either.
        var foreignMember = await b.Scim.PostAsync("/scim/v2/Groups", Json(new { schemas = new[] { GroupSchema }, displayName = "Team B", members = new[] { new { value = id } } }));
        Assert.Equal("invalidValue", await ErrorTypeAsync(foreignMember, HttpStatusCode.BadRequest));
        var linkA = await b.Scim.PostAsync("/scim/v2/Users", Json(NewUser(user["userName"]!.GetValue<string>())));
        Assert.Equal(HttpStatusCode.Created, linkA.StatusCode);
        // Linking the same account into B adds B's membership only: A's is untouched, and B's deprovisioning leaves A alone.
        Assert.Equal(HttpStatusCode.NoContent, (await b.Scim.DeleteAsync($"/scim/v2/Users/{id}")).StatusCode);

        var still = await ReadAsync(await a.Scim.GetAsync($"/scim/v2/Users/{id}"));
        Assert.True(still["active"]!.GetValue<bool>());
        Assert.Equal("W/\"1\"", still["meta"]!["version"]!.GetValue<string>());
        Assert.Equal("Viewer", await a.RoleOfAsync(id));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.scim.refused"
            && e.GetProperty("organizationId").GetString() == b.OrgId && e.GetProperty("details").GetProperty("reason").GetString() == "not-found");
    }

    [Fact]
    public async Task Owners_are_never_created_changed_or_removed_through_scim()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var asOwner = await org.Scim.PostAsync("/scim/v2/Users", Json(NewUser(org.Owner.Email)));
        Assert.Null(await ErrorTypeAsync(asOwner, HttpStatusCode.Forbidden));
        Assert.Null(await ErrorTypeAsync(await org.Scim.GetAsync($"/scim/v2/Users/{org.Owner.Id}"), HttpStatusCode.NotFound));

        // A SCIM user whom an Owner then made Owner is out of SCIM's reach.
        var user = (await org.CreateUserAsync())["id"]!.GetValue<string>();
        await org.Owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await org.Owner.Http.PutAsJsonAsync($"/v1/organizations/{org.OrgId}/members/{user}/role", new { role = "Owner" })).StatusCode);
        Assert.Null(await ErrorTypeAsync(await org.Scim.PatchAsync($"/scim/v2/Users/{user}", Json(Patch(new { op = "replace", path = "active", value = false }))), HttpStatusCode.Forbidden));
        Assert.Null(await ErrorTypeAsync(await org.Scim.DeleteAsync($"/scim/v2/Users/{user}"), HttpStatusCode.Forbidden));
        await org.CreateGroupAsync("Anyone", user);
        Assert.Equal("Owner", await org.RoleOfAsync(user));
        // Roles given through the admin API are no way around it either: "roles" is a SCIM attribute, not the platform role.
        var roles = await org.Scim.PostAsync("/scim/v2/Users", Json(new Dictionary<string, object?>
        {
            ["schemas"] = new[] { UserSchema },
            ["userName"] = TestUser.NewEmail(),
            ["roles"] = new[] { new { value = "Owner", primary = true } },
        }));
        Assert.Equal(HttpStatusCode.Created, roles.StatusCode);
        Assert.Equal("Viewer", await org.RoleOfAsync((await ReadAsync(roles))["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Filter_values_are_parameters_quotes_and_sql_metacharacters_match_literally()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var tricky = await org.Scim.PostAsync("/scim/v2/Users", Json(new Dictionary<string, object?>
        {
            ["schemas"] = new[] { UserSchema },
            ["userName"] = $"o'brien-{Guid.NewGuid():n}@example.com",
            ["displayName"] = "100% \"real\" _user_ \\ ; DROP TABLE users; --",
        }));
        Assert.Equal(HttpStatusCode.Created, tricky.StatusCode);
        var other = await org.CreateUserAsync();
        foreach (var (filter, expected) in new[]
        {
            ("displayName eq \"100% \\\"real\\\" _user_ \\\\ ; DROP TABLE users; --\"", 1),
            ("displayName co \"%\"", 1),
            ("displayName co \"_user_\"", 1),
            ("displayName sw \"100%\"", 1),
            ("userName co \"'\"", 1),
            ("displayName eq \"x\" or \"1\" eq \"1\"", -1),
            ("userName eq \"x\") or (1 eq 1", -1),
            ("userName co \"%\"", 0),
            ("userName sw \"_\"", 0),
        })
        {
            var response = await org.Scim.GetAsync($"/scim/v2/Users?filter={Uri.EscapeDataString(filter)}");
            if (expected < 0)
            {
                Assert.Equal("invalidFilter", await ErrorTypeAsync(response, HttpStatusCode.BadRequest));
                continue;
            }

            var body = await ReadAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.True(expected == body["totalResults"]!.GetValue<int>(), $"{filter}: {body.ToJsonString()}");
        }

        await using var users = fixture.Database.CreateCommand("SELECT count(*) FROM users");
        Assert.True((long)(await users.ExecuteScalarAsync())! > 0);
        Assert.Equal(2, (await ReadAsync(await org.Scim.GetAsync("/scim/v2/Users")))["totalResults"]!.GetValue<int>());
        _ = other;
    }

    [Fact]
    public async Task Discovery_resources_describe_what_is_supported()
    {
        var org = await ScimOrganization.CreateAsync(fixture);
        var config = await ReadAsync(await org.Scim.GetAsync("/scim/v2/ServiceProviderConfig"));
        Assert.True(config["patch"]!["supported"]!.GetValue<bool>());
        Assert.True(config["filter"]!["supported"]!.GetValue<bool>());
        Assert.True(config["etag"]!["supported"]!.GetValue<bool>());
        Assert.True(config["bulk"]!["supported"]!.GetValue<bool>());
        Assert.Equal((100, 1024 * 1024), (config["bulk"]!["maxOperations"]!.GetValue<int>(), config["bulk"]!["maxPayloadSize"]!.GetValue<int>()));
        Assert.True(config["sort"]!["supported"]!.GetValue<bool>());
        var types = await ReadAsync(await org.Scim.GetAsync("/scim/v2/ResourceTypes"));
        Assert.Equal(["/Groups", "/Users"], types["Resources"]!.AsArray().Select(t => t!["endpoint"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        var schemas = await ReadAsync(await org.Scim.GetAsync("/scim/v2/Schemas"));
        Assert.Equal(3, schemas["totalResults"]!.GetValue<int>());
        var user = await ReadAsync(await org.Scim.GetAsync($"/scim/v2/Schemas/{UserSchema}"));
        var userName = user["attributes"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "userName")!;
        Assert.False(userName["caseExact"]!.GetValue<bool>());
        Assert.Equal("server", userName["uniqueness"]!.GetValue<string>());
    }

    private static async Task AddMemberAsync(ScimOrganization org, TestUser user, string role)
    {
        var invite = await org.Owner.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/invitations", new { email = user.Email, role });
        Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        var mail = await org.Fixture.MailToAsync(user.Email, "invited");
        Assert.Equal(HttpStatusCode.OK, (await user.Http.PostAsJsonAsync("/v1/invitations/accept", new { token = IdentityFixture.CodeIn(mail) })).StatusCode);
    }
}
