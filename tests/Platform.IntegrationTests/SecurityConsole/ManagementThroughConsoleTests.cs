using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// The console's management forms not covered elsewhere (issue 19 item 2), in a browser without JavaScript: a key
/// rotated with an overlap (both keys work during it); a member's role changed, then the member removed; the audit
/// log paged (older entries), each entry's detail, and the export of what the filters select.
/// </summary>
[Collection(Collections.Console)]
public sealed partial class ManagementThroughConsoleTests(PlatformFixture fixture)
{
    [Fact]
    public async Task An_Owner_rotates_a_key_with_an_overlap_changes_a_role_removes_a_member_and_pages_and_exports_the_audit_log()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Manage");
        await owner.EnrolTotpAndStepUpAsync();
        var org = owner.OrganizationId!;

        // A key rotated with an hour's overlap: the new key is shown once, and both work meanwhile.
        var keysPath = $"/console/o/{org}/keys";
        var keys = await owner.GetAsync(keysPath);
        var created = await owner.PostAsync(keysPath, keys, [new("name", "ingest"), new("environment", "live"), new("scope-dataset", "full")]);
        Assert.Equal(201, created.Status);
        var oldKey = created.Value("new-key")!;
        var keyId = created.Text("new-key-id")!;
        var listed = await owner.GetAsync(keysPath);
        var rotated = await owner.PostAsync($"{keysPath}/{keyId}/rotate", listed, [new("overlapSeconds", "3600")]);
        Assert.Equal("no-store", rotated.CacheControl);
        var newKey = rotated.Value("new-key")!;
        Assert.NotEqual(oldKey, newKey);
        Assert.DoesNotContain(newKey, rotated.Address.ToString());
        Assert.Equal(HttpStatusCode.OK, await DatasetsAsync(org, oldKey));
        Assert.Equal(HttpStatusCode.OK, await DatasetsAsync(org, newKey));

        // A member: invited, accepted, made a Developer, then removed.
        var member = await ConsoleUser.SignedUpAsync(fixture, organization: null, prefix: "member");
        var members = await owner.GetAsync($"/console/o/{org}/members");
        Assert.Equal(200, (await owner.PostAsync($"/console/o/{org}/members/invite", members, [new("email", member.Email), new("role", "Viewer")])).Status);
        using (var accepted = await member.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = BrowserForms.CodeIn(await fixture.MailToAsync(member.Email, "invited")) }))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        members = await owner.GetAsync($"/console/o/{org}/members");
        var memberId = Regex.Match(members.Html, $"<tr data-id=\"(?<id>[^\"]+)\" data-email=\"{Regex.Escape(member.Email)}\"").Groups["id"].Value;
        Assert.StartsWith("usr_", memberId);
        var role = await owner.PostAsync($"/console/o/{org}/members/{memberId}/role", members, [new("role", "Developer")]);
        Assert.Equal(200, role.Status);
        Assert.Matches($"<tr data-id=\"{memberId}\"[^>]*><td>[^<]*</td><td class=\"role\">Developer</td>", role.Html);
        var removed = await owner.PostAsync($"/console/o/{org}/members/{memberId}/remove", role, []);
        Assert.Equal(200, removed.Status);
        Assert.DoesNotContain($"data-id=\"{memberId}\"", removed.Html);

        // The audit log: every console page is API calls through the gateway, each an entry of the organization, so
        // a few page views fill more than one page of 50 entries.
        var auditPath = $"/console/o/{org}/audit";
        var clock = Stopwatch.StartNew();
        ConsoleUser.Page audit;
        while (!(audit = await owner.GetAsync(auditPath)).Html.Contains("id=\"next-page\"", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "the audit log never filled a second page");
            await owner.GetAsync($"/console/o/{org}/members");
        }

        Assert.Equal(200, audit.Status);
        var firstPage = EventIds(audit.Html);
        Assert.Equal(50, firstPage.Count);
        Assert.Contains("<summary>Detail</summary>", audit.Html);
        Assert.Contains("<dt>requestId</dt>", audit.Html);
        var next = System.Net.WebUtility.HtmlDecode(Regex.Match(audit.Html, "id=\"next-page\" href=\"(?<href>[^\"]+)\"").Groups["href"].Value);
        var older = await owner.GetAsync(next);
        Assert.Equal(200, older.Status);
        Assert.NotEmpty(EventIds(older.Html));
        Assert.Empty(EventIds(older.Html).Intersect(firstPage));

        // The export of a filter: the role change and the removal, as CSV, never cached.
        clock.Restart();
        while (true)
        {
            using var export = await owner.Browser.GetAsync($"{auditPath}/export?format=csv&action=identity.member.removed");
            Assert.Equal(HttpStatusCode.OK, export.StatusCode);
            Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no-store", export.Headers.CacheControl?.ToString());
            var csv = await export.Content.ReadAsStringAsync();
            if (csv.Contains(memberId, StringComparison.Ordinal))
            {
                Assert.DoesNotContain("identity.member.role_changed", csv);
                break;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the removal never reached the export");
            await Task.Delay(500);
        }
    }

    private static List<string> EventIds(string html) => [.. Regex.Matches(html, "<tr data-id=\"(?<id>[^\"]+)\"><td><time").Select(m => m.Groups["id"].Value)];

    private async Task<HttpStatusCode> DatasetsAsync(string org, string key)
    {
        using var product = new HttpClient(fixture.App.CreateHandler("gateway")) { BaseAddress = fixture.Gateway };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{org}/datasets");
        request.Headers.Add("X-Api-Key", key);
        using var answer = await product.SendAsync(request);
        return answer.StatusCode;
    }
}
