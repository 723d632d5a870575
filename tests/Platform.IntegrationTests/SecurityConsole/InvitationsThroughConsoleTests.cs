using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// Pending invitations on the members page: listed for Owners and Admins, withdrawn from there (its mailed code then
/// accepts nothing), and another organization's invitation neither listed nor withdrawable, through the console or
/// identity's API.
/// </summary>
[Collection(Collections.Console)]
public sealed partial class InvitationsThroughConsoleTests(PlatformFixture fixture)
{
    [Fact]
    public async Task A_withdrawn_invitation_stops_working_and_another_organizations_invitation_cannot_be_withdrawn()
    {
        var a = await ConsoleUser.SignedUpAsync(fixture, "Invitations Alpha");
        var b = await ConsoleUser.SignedUpAsync(fixture, "Invitations Beta");
        var orgA = a.OrganizationId!;
        var orgB = b.OrganizationId!;
        var invitee = await ConsoleUser.SignedUpAsync(fixture, organization: null, prefix: "invitee");
        var bInvitee = await ConsoleUser.SignedUpAsync(fixture, organization: null, prefix: "b-invitee");

        var members = await a.GetAsync($"/console/o/{orgA}/members");
        Assert.Contains("id=\"no-invitations\"", members.Html);
        var invited = await a.PostAsync($"/console/o/{orgA}/members/invite", members, [new("email", invitee.Email), new("role", "Developer")]);
        Assert.Equal(200, invited.Status);
        var aInvitation = InvitationOf(invited, invitee.Email);
        var code = BrowserForms.CodeIn(await fixture.MailToAsync(invitee.Email, "invited"));
        Assert.DoesNotContain(code, invited.Html);

        var bMembers = await b.GetAsync($"/console/o/{orgB}/members");
        var bInvited = await b.PostAsync($"/console/o/{orgB}/members/invite", bMembers, [new("email", bInvitee.Email), new("role", "Viewer")]);
        var bInvitation = InvitationOf(bInvited, bInvitee.Email);
        Assert.DoesNotContain(bInvitee.Email, (await a.GetAsync($"/console/o/{orgA}/members")).Html);

        // A names B's invitation under its own organization (console and API), and B's organization (API): not found.
        Assert.Equal(404, (await a.PostAsync($"/console/o/{orgA}/invitations/{bInvitation}/withdraw", invited, [])).Status);
        Assert.Equal(403, (await a.PostAsync($"/console/o/{orgB}/invitations/{bInvitation}/withdraw", invited, [])).Status);
        Assert.Equal(400, (await a.PostAsync($"/console/o/{orgA}/invitations/{aInvitation}/withdraw", invited, [], withAntiforgery: false)).Status);
        foreach (var path in new[] { $"/v1/organizations/{orgA}/invitations/{bInvitation}", $"/v1/organizations/{orgB}/invitations/{bInvitation}" })
        {
            using var refused = await a.Browser.DeleteAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/not-found", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        using (var listB = await a.Browser.GetAsync($"/v1/organizations/{orgB}/invitations"))
        {
            Assert.Equal(HttpStatusCode.NotFound, listB.StatusCode);
            Assert.DoesNotContain(bInvitee.Email, await listB.Content.ReadAsStringAsync());
        }

        // A's own invitation, withdrawn from the page: gone from the list, and its mailed code accepts nothing.
        var withdrawn = await a.PostAsync($"/console/o/{orgA}/invitations/{aInvitation}/withdraw", invited, []);
        Assert.Equal(200, withdrawn.Status);
        Assert.Equal("The invitation is withdrawn: its code no longer works.", withdrawn.Text("notice"));
        Assert.DoesNotContain($"data-invitation=\"{aInvitation}\"", withdrawn.Html);
        using (var accept = await invitee.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = code }))
        {
            Assert.Equal(HttpStatusCode.NotFound, accept.StatusCode);
        }

        using (var again = await a.Browser.DeleteAsync($"/v1/organizations/{orgA}/invitations/{aInvitation}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }

        Assert.DoesNotContain(invitee.Email, (await a.GetAsync($"/console/o/{orgA}/members")).Html);

        // B's invitation survived every attempt: still listed, and its code still works.
        Assert.Contains($"data-invitation=\"{bInvitation}\"", (await b.GetAsync($"/console/o/{orgB}/members")).Html);
        var bCode = BrowserForms.CodeIn(await fixture.MailToAsync(bInvitee.Email, "invited"));
        using (var bAccept = await bInvitee.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = bCode }))
        {
            Assert.Equal(HttpStatusCode.OK, bAccept.StatusCode);
        }

        // A Viewer (B's new member) neither lists nor withdraws invitations.
        using (var viewerList = await bInvitee.Browser.GetAsync($"/v1/organizations/{orgB}/invitations"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, viewerList.StatusCode);
        }

        var viewerMembers = await bInvitee.GetAsync($"/console/o/{orgB}/members");
        Assert.DoesNotContain("id=\"pending-invitations\"", viewerMembers.Html);
    }

    private static string InvitationOf(ConsoleUser.Page page, string email)
    {
        var match = InvitationRow().Matches(page.Html).FirstOrDefault(m => m.Groups["email"].Value == email);
        Assert.NotNull(match);
        return match.Groups["id"].Value;
    }

    [GeneratedRegex("data-invitation=\"(?<id>inv_[0-9a-f]+)\" data-email=\"(?<email>[^\"]+)\"")]
    private static partial Regex InvitationRow();
}
