using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>The server-rendered invitation page: Chromium (Playwright) over HTTPS, and the refusals in-process.</summary>
[Collection(IdentityCollection.Name)]
public sealed class InvitationPageTests(IdentityFixture fixture)
{
    private static readonly string[] expected =
    [
        "mail-names-the-page", "sign-in-first", "back-on-the-invitation-page", "wrong-code-refused", "invitation-accepted",
        "organization-listed", "code-works-once", "code-never-in-a-url",
    ];

    [Fact]
    public async Task Chromium_signs_in_and_accepts_an_invitation_by_typing_the_code()
    {
        var owner = await TestUser.CreateAsync(fixture);
        var orgId = await owner.CreateOrganizationAsync("Inviting");
        var invitee = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = invitee.Email, role = "Developer" })).StatusCode);

        await NodeClients.InstallAsync();
        var address = await fixture.StartHttpsAsync();
        var (exitCode, output) = await NodeClients.RunAsync("node", ["invitation.mjs"], TimeSpan.FromMinutes(2), new Dictionary<string, string>
        {
            ["IDENTITY_URL"] = address.ToString(),
            ["MAIL_DIR"] = fixture.MailFolder,
            ["NODE_EXTRA_CA_CERTS"] = fixture.CertificatePath,
            ["INVITEE_EMAIL"] = invitee.Email,
            ["INVITEE_PASSWORD"] = invitee.Password,
            ["ORG_ID"] = orgId,
        });

        var results = output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["RESULT ".Length..]).RootElement)
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r);
        foreach (var name in expected)
        {
            Assert.True(results.TryGetValue(name, out var check), $"Check '{name}' did not run.\n{output}");
            Assert.True(check.GetProperty("ok").GetBoolean(), $"Check '{name}' failed: {check}\n{output}");
        }

        Assert.Equal(0, exitCode);
        Assert.Equal("Developer", await RoleAsync(orgId, invitee.Id));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.joined" && e.GetProperty("organizationId").GetString() == orgId);
    }

    [Fact]
    public async Task The_page_needs_a_session_and_an_anti_forgery_token_and_changes_nothing_on_a_bad_code()
    {
        var owner = await TestUser.CreateAsync(fixture);
        var orgId = await owner.CreateOrganizationAsync("Inviting");
        var invitee = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = invitee.Email, role = "Viewer" })).StatusCode);
        var code = IdentityFixture.CodeIn(await fixture.MailToAsync(invitee.Email, "invited"));

        var anonymous = await fixture.Client().GetAsync("/invitations/accept");
        Assert.Equal("/signin?returnUrl=%2Finvitations%2Faccept", anonymous.Headers.Location?.ToString());

        var page = await (await invitee.Http.GetAsync("/invitations/accept")).Content.ReadAsStringAsync();
        var antiforgery = CodeFlow.Hidden(page, "__RequestVerificationToken");
        var forged = await invitee.Http.PostAsync("/invitations/accept", new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = code }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var wrong = await invitee.Http.PostAsync("/invitations/accept", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = antiforgery,
            ["code"] = code[..^1] + (code[^1] == 'A' ? 'B' : 'A'),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        // Someone else signed in cannot spend the invitation.
        var stranger = await TestUser.CreateAsync(fixture);
        var strangerPage = await (await stranger.Http.GetAsync("/invitations/accept")).Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, (await stranger.Http.PostAsync("/invitations/accept", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = CodeFlow.Hidden(strangerPage, "__RequestVerificationToken"),
            ["code"] = code,
        }))).StatusCode);
        Assert.Null(await RoleAsync(orgId, invitee.Id));
        Assert.Null(await RoleAsync(orgId, stranger.Id));

        var accepted = await invitee.Http.PostAsync("/invitations/accept", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = antiforgery,
            ["code"] = code,
        }));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal("Viewer", await RoleAsync(orgId, invitee.Id));
    }

    private async Task<string?> RoleAsync(string orgId, string userId)
    {
        await using var command = fixture.Database.CreateCommand("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteScalarAsync() as string;
    }
}
