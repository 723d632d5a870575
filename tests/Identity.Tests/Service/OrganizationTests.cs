using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

[Collection(IdentityCollection.Name)]
public sealed class OrganizationTests(IdentityFixture fixture)
{
    private async Task<(TestUser Owner, TestUser Member, string OrgId)> OrganizationWithMemberAsync(string role)
    {
        var owner = await TestUser.CreateAsync(fixture);
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        var member = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = member.Email, role })).StatusCode);
        var token = IdentityFixture.CodeIn(await fixture.MailToAsync(member.Email, "invited"));
        Assert.Equal(HttpStatusCode.OK, (await member.Http.PostAsJsonAsync("/v1/invitations/accept", new { token })).StatusCode);
        return (owner, member, orgId);
    }

    [Fact]
    public async Task The_creator_is_Owner_and_an_invitation_by_email_adds_a_member_once()
    {
        var (owner, member, orgId) = await OrganizationWithMemberAsync("Developer");
        var members = await owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{orgId}/members");
        var roles = members.GetProperty("items").EnumerateArray().ToDictionary(m => m.GetProperty("userId").GetString()!, m => m.GetProperty("role").GetString());
        Assert.Equal("Owner", roles[owner.Id]);
        Assert.Equal("Developer", roles[member.Id]);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.invited" && e.GetProperty("organizationId").GetString() == orgId);

        // An invitation is for its addressee only, and works once.
        var stranger = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = TestUser.NewEmail(), role = "Viewer" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Http.PostAsJsonAsync("/v1/invitations/accept", new { token = "A".PadRight(43, 'b') })).StatusCode);
        // Non-members cannot see the organization at all.
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.Http.GetAsync($"/v1/organizations/{orgId}/members")).StatusCode);
    }

    [Fact]
    public async Task Auditor_is_given_by_invitation_or_role_change_like_any_role_and_administers_nothing()
    {
        var (owner, auditor, orgId) = await OrganizationWithMemberAsync("Auditor");
        var members = await owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{orgId}/members");
        Assert.Contains(members.GetProperty("items").EnumerateArray(), m => m.GetProperty("userId").GetString() == auditor.Id && m.GetProperty("role").GetString() == "Auditor");

        // An Auditor, even with a fresh second factor, invites nobody, changes no role and removes nobody.
        await auditor.EnrolTotpAsync();
        await auditor.StepUpAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = TestUser.NewEmail(), role = "Auditor" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{owner.Id}/role", new { role = "Auditor" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/settings", new { requireMfa = true })).StatusCode);

        // A Viewer is made Auditor, audited as any role change.
        var viewer = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = viewer.Email, role = "Viewer" })).StatusCode);
        var token = IdentityFixture.CodeIn(await fixture.MailToAsync(viewer.Email, "invited"));
        Assert.Equal(HttpStatusCode.OK, (await viewer.Http.PostAsJsonAsync("/v1/invitations/accept", new { token })).StatusCode);
        await owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{viewer.Id}/role", new { role = "Auditor" })).StatusCode);
        var changed = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.role_changed" && e.GetProperty("target").GetString() == viewer.Id);
        Assert.Equal("Auditor", changed.GetProperty("details").GetProperty("to").GetString());
    }

    [Fact]
    public async Task Invitations_expire()
    {
        var owner = await TestUser.CreateAsync(fixture);
        var orgId = await owner.CreateOrganizationAsync();
        var invitee = await TestUser.CreateAsync(fixture);
        await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = invitee.Email, role = "Viewer" });
        var token = IdentityFixture.CodeIn(await fixture.MailToAsync(invitee.Email, "invited"));
        await fixture.AdvanceAsync(TimeSpan.FromDays(8));
        await invitee.SignInAsync();
        await owner.SignInAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await invitee.Http.PostAsJsonAsync("/v1/invitations/accept", new { token })).StatusCode);
    }

    [Fact]
    public async Task Role_changes_need_a_step_up_and_the_last_Owner_can_neither_be_demoted_nor_leave()
    {
        var (owner, member, orgId) = await OrganizationWithMemberAsync("Viewer");
        var refused = await (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{member.Id}/role", new { role = "Admin" })).ProblemAsync();
        Assert.Equal("https://platform.dev/problems/step-up-required", refused.Type);
        await owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{member.Id}/role", new { role = "Admin" })).StatusCode);
        var changed = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.role_changed" && e.GetProperty("target").GetString() == member.Id);
        Assert.Equal("Admin", changed.GetProperty("details").GetProperty("to").GetString());

        Assert.Equal(HttpStatusCode.BadRequest, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{member.Id}/role", new { role = "God" })).StatusCode);
        var demote = await (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{owner.Id}/role", new { role = "Admin" })).ProblemAsync();
        Assert.Equal((HttpStatusCode.Conflict, "https://platform.dev/problems/last-owner"), (demote.Status, demote.Type));
        var leave = await (await owner.Http.DeleteAsync($"/v1/organizations/{orgId}/members/{owner.Id}")).ProblemAsync();
        Assert.Equal((HttpStatusCode.Conflict, "https://platform.dev/problems/last-owner"), (leave.Status, leave.Type));

        // An Admin cannot touch the Owner.
        await member.EnrolTotpAsync();
        await member.StepUpAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Http.DeleteAsync($"/v1/organizations/{orgId}/members/{owner.Id}")).StatusCode);

        // With a second Owner, the first may leave.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{member.Id}/role", new { role = "Owner" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/v1/organizations/{orgId}/members/{owner.Id}")).StatusCode);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.removed" && e.GetProperty("target").GetString() == owner.Id);
        var left = await fixture.Events.WaitForAsync("identity.member.deprovisioned", e => e.GetProperty("userId").GetString() == owner.Id);
        Assert.Equal(("member-left", orgId), (left.GetProperty("reason").GetString(), left.GetProperty("organizationId").GetString()));
    }

    [Fact]
    public async Task Removing_a_member_tells_keys_to_revoke_the_keys_they_created_there()
    {
        // Issue 18 item 4: an ordinary removal, like SCIM deprovisioning, publishes identity.member.deprovisioned (keys
        // revokes that member's keys in the organization on it; Keys.Tests and the gateway journey cover that side).
        var (owner, member, orgId) = await OrganizationWithMemberAsync("Developer");
        await owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/v1/organizations/{orgId}/members/{member.Id}")).StatusCode);
        var removed = await fixture.Events.WaitForAsync("identity.member.deprovisioned", e => e.GetProperty("userId").GetString() == member.Id);
        Assert.Equal(("member-removed", orgId), (removed.GetProperty("reason").GetString(), removed.GetProperty("organizationId").GetString()));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.removed" && e.GetProperty("target").GetString() == member.Id);
    }

    [Fact]
    public async Task Concurrent_demotions_of_the_last_two_Owners_leave_one_Owner()
    {
        var (owner, member, orgId) = await OrganizationWithMemberAsync("Owner");
        await member.EnrolTotpAsync();
        await owner.StepUpAsync();
        await member.StepUpAsync();
        var answers = await Task.WhenAll(
            owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{owner.Id}/role", new { role = "Viewer" }),
            member.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/members/{member.Id}/role", new { role = "Viewer" }));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Conflict);
        await using var owners = fixture.Database.CreateCommand("SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'Owner'");
        owners.Parameters.AddWithValue(orgId);
        Assert.Equal(1L, (long)(await owners.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Who_has_access_to_a_resource_is_one_call_that_says_through_what()
    {
        var (owner, member, orgId) = await OrganizationWithMemberAsync("Developer");
        var path = $"/v1/organizations/{orgId}/resources/dataset/ds_cats/access";
        var before = await owner.Http.GetFromJsonAsync<JsonElement>(path);
        Assert.DoesNotContain(before.GetProperty("access").EnumerateArray(), a => a.GetProperty("userId").GetString() == member.Id);

        // A Developer cannot share; the Owner can.
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/resources/dataset/ds_cats/grants/{member.Id}", new { role = "Owner" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/resources/dataset/ds_cats/grants/{member.Id}", new { role = "Editor" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/resources/dataset/ds_cats/grants/{owner.Id}", new { role = "Viewer" })).StatusCode);

        var access = (await member.Http.GetFromJsonAsync<JsonElement>(path)).GetProperty("access").EnumerateArray().ToDictionary(a => a.GetProperty("userId").GetString()!);
        Assert.Equal("Editor", access[member.Id].GetProperty("role").GetString());
        Assert.Equal("grant", access[member.Id].GetProperty("through")[0].GetProperty("kind").GetString());
        // The org Owner is resource Owner through the organization role, whatever their explicit grant says.
        Assert.Equal("Owner", access[owner.Id].GetProperty("role").GetString());
        var ownerPaths = access[owner.Id].GetProperty("through").EnumerateArray().Select(t => $"{t.GetProperty("kind").GetString()}:{t.GetProperty("role").GetString()}").ToList();
        Assert.Contains("organization-role:Owner", ownerPaths);
        Assert.Contains("grant:Viewer", ownerPaths);

        // Another resource is unaffected; bad input is refused.
        var other = await owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{orgId}/resources/project/prj_x/access");
        Assert.DoesNotContain(other.GetProperty("access").EnumerateArray(), a => a.GetProperty("userId").GetString() == member.Id);
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.Http.GetAsync($"/v1/organizations/{orgId}/resources/bucket/x/access")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/resources/dataset/ds_cats/grants/{member.Id}", new { role = "Admin" })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/v1/organizations/{orgId}/resources/dataset/ds_cats/grants/{member.Id}")).StatusCode);
        var after = await owner.Http.GetFromJsonAsync<JsonElement>(path);
        Assert.DoesNotContain(after.GetProperty("access").EnumerateArray(), a => a.GetProperty("userId").GetString() == member.Id);
    }
}
