using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// The console's later pages in a browser without JavaScript: customer secrets (write-only), OAuth clients (a secret
/// shown once and usable), who has access, your security, retention, residency and single sign-on; then what a member
/// of another organization, a Viewer, or a page elsewhere would try against them.
/// </summary>
[Collection(Collections.Console)]
public sealed class ConsolePagesTests(PlatformFixture fixture)
{
    private static async Task<ConsoleUser> SteppedUpOwnerAsync(PlatformFixture fixture, string organization)
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, organization);
        await owner.EnrolTotpAndStepUpAsync();
        return owner;
    }

    [Fact]
    public async Task An_Owner_keeps_secrets_write_only_creates_an_OAuth_client_that_works_and_reads_the_governance_pages()
    {
        var owner = await SteppedUpOwnerAsync(fixture, "Pages");
        var org = owner.OrganizationId!;
        var secretsPath = $"/console/o/{org}/secrets";
        var secrets = await owner.GetAsync(secretsPath);
        Assert.Equal(200, secrets.Status);
        Assert.Contains("id=\"no-secrets\"", secrets.Html);

        // Invalid input: the message next to the field, the name kept, the value never echoed.
        const string first = "first-value-9f1c2e", second = "second-value-77ab31";
        var invalid = await owner.PostAsync(secretsPath, secrets, [new("name", "Bad Name"), new("value", first)]);
        Assert.Equal(400, invalid.Status);
        Assert.Contains("id=\"name-error\"", invalid.Html);
        Assert.Equal("Bad Name", invalid.Value("name"));
        Assert.DoesNotContain(first, invalid.Html);

        var stored = await owner.PostAsync(secretsPath, secrets, [new("name", "db-password"), new("value", first)]);
        Assert.Equal(200, stored.Status);
        Assert.Contains("data-name=\"db-password\" data-version=\"1\"", stored.Html);
        Assert.DoesNotContain(first, stored.Html);
        Assert.Contains("no-store", stored.CacheControl);
        var again = await owner.PostAsync(secretsPath, stored, [new("name", "db-password"), new("value", second)]);
        Assert.Contains("data-name=\"db-password\" data-version=\"2\"", again.Html);
        Assert.DoesNotContain(second, again.Html);
        var deleted = await owner.PostAsync($"{secretsPath}/db-password/delete", again, []);
        Assert.Equal(200, deleted.Status);
        Assert.DoesNotContain("data-name=\"db-password\"", deleted.Html);

        // OAuth client: refused input kept, then a machine client whose secret, shown once, gets a token.
        var clientsPath = $"/console/o/{org}/clients";
        var clients = await owner.GetAsync(clientsPath);
        Assert.Equal(200, clients.Status);
        var noScopes = await owner.PostAsync(clientsPath, clients, [new("name", "etl job"), new("type", "machine")]);
        Assert.Equal(400, noScopes.Status);
        Assert.Contains("id=\"scopes-error\"", noScopes.Html);
        Assert.Equal("etl job", noScopes.Value("name"));
        var created = await owner.PostAsync(clientsPath, clients, [new("name", "etl job"), new("type", "machine"), new("scopes", "platform.keys")]);
        Assert.Equal(201, created.Status);
        Assert.Contains("no-store", created.CacheControl);
        var clientId = created.Text("new-client-id")!;
        var clientSecret = created.Value("new-client-secret")!;
        Assert.DoesNotContain(clientSecret, created.Address.ToString());
        using (var token = await owner.Browser.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = clientSecret, ["scope"] = "platform.keys",
        })))
        {
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        }

        // Listed (never its secret), its secret rotated (the old one refused, the new one shown once works), deleted.
        async Task<HttpStatusCode> TokenStatusAsync(string secret)
        {
            using var answer = await owner.Browser.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = "platform.keys",
            }));
            return answer.StatusCode;
        }

        var listed = await owner.GetAsync(clientsPath);
        Assert.Contains(clientId, listed.Html);
        Assert.DoesNotContain(clientSecret, listed.Html);
        var rotated = await owner.PostAsync($"{clientsPath}/{clientId}/rotate", listed, []);
        Assert.Equal(200, rotated.Status);
        Assert.Contains("no-store", rotated.CacheControl);
        var newSecret = rotated.Value("new-client-secret")!;
        Assert.NotEqual(clientSecret, newSecret);
        Assert.NotEqual(HttpStatusCode.OK, await TokenStatusAsync(clientSecret));
        Assert.Equal(HttpStatusCode.OK, await TokenStatusAsync(newSecret));
        var clientGone = await owner.PostAsync($"{clientsPath}/{clientId}/delete", listed, []);
        Assert.Equal(200, clientGone.Status);
        Assert.DoesNotContain(clientId, clientGone.Html);
        Assert.NotEqual(HttpStatusCode.OK, await TokenStatusAsync(newSecret));

        // Who has access: the access list of a dataset, keys per member, and a bad id explained next to the field.
        var access = await owner.GetAsync($"/console/o/{org}/members?type=dataset&resource=ds_training");
        Assert.Equal(200, access.Status);
        Assert.Contains("id=\"access\"", access.Html);
        Assert.Contains("class=\"keys-count\"", access.Html);
        var badAccess = await owner.GetAsync($"/console/o/{org}/members?type=dataset&resource={Uri.EscapeDataString("no such/id")}");
        Assert.Contains("id=\"access-resource-error\"", badAccess.Html);
        Assert.Equal("no such/id", badAccess.Value("access-resource"));

        // Retention: a period refused with its message next to the field, then set; a legal hold placed and released;
        // a data-subject request registered.
        var retentionPath = $"/console/o/{org}/retention";
        var retention = await owner.GetAsync(retentionPath);
        Assert.Equal(200, retention.Status);
        Assert.Equal("The organization is not being closed.", retention.Text("closure-status"));
        Assert.NotEqual("", retention.Text("retention-plan"));
        var dataClass = System.Text.RegularExpressions.Regex.Match(retention.Html, "id=\"policy-(?<c>[a-z0-9_-]+)\"").Groups["c"].Value;
        Assert.NotEqual("", dataClass);
        var badDays = await owner.PostAsync($"{retentionPath}/policies/{dataClass}", retention, [new("days", "a month")]);
        Assert.Equal(400, badDays.Status);
        Assert.Contains($"id=\"days-{dataClass}-error\"", badDays.Html);
        Assert.Equal("a month", badDays.Value($"days-{dataClass}"));
        var policySet = await owner.PostAsync($"{retentionPath}/policies/{dataClass}", retention, [new("days", retention.Value($"days-{dataClass}")!)]);
        Assert.Equal(200, policySet.Status);
        Assert.Contains("id=\"notice\"", policySet.Html);
        var noReason = await owner.PostAsync($"{retentionPath}/holds", retention, [new("scope", "organization"), new("target", ""), new("reason", "")]);
        Assert.Equal(400, noReason.Status);
        Assert.Contains("id=\"hold-reason-error\"", noReason.Html);
        var held = await owner.PostAsync($"{retentionPath}/holds", retention, [new("scope", "organization"), new("target", ""), new("reason", "matter 2026-17")]);
        Assert.Equal(200, held.Status);
        var holdId = System.Text.RegularExpressions.Regex.Match(held.Html, "id=\"release-(?<id>[A-Za-z0-9_-]+)\"").Groups["id"].Value;
        Assert.NotEqual("", holdId);
        var released = await owner.PostAsync($"{retentionPath}/holds/{holdId}/release", held, [new("reason", "matter closed")]);
        Assert.Equal(200, released.Status);
        Assert.DoesNotContain($"id=\"release-{holdId}\"", released.Html);
        var registered = await owner.PostAsync($"{retentionPath}/subject-requests", released, [new("type", "access"), new("email", owner.Email)]);
        Assert.Equal(200, registered.Status);
        Assert.Contains("id=\"requests\"", registered.Html);
        Assert.Contains("id=\"notice\"", registered.Html);

        // Residency: a pin without a region is refused next to the field, the choice kept.
        var residency = await owner.GetAsync($"/console/o/{org}/residency");
        Assert.Equal(200, residency.Status);
        Assert.NotNull(residency.Text("residency-mode"));
        Assert.Contains("id=\"regions\"", residency.Html);
        var noRegion = await owner.PostAsync($"/console/o/{org}/residency", residency, [new("mode", "single-region"), new("region", "")]);
        Assert.Equal(400, noRegion.Status);
        Assert.Contains("id=\"residency-region-select-error\"", noRegion.Html);
        Assert.Contains("<option value=\"single-region\" selected>", noRegion.Html);

        // Single sign-on: a SCIM token issued (shown once, never on the status page) and revoked.
        var ssoPath = $"/console/o/{org}/sso";
        var sso = await owner.GetAsync(ssoPath);
        Assert.Equal(200, sso.Status);
        Assert.Equal("No SCIM token: provisioning is off.", sso.Text("scim-status"));
        Assert.Contains("id=\"connections-none\"", sso.Html);
        var issued = await owner.PostAsync($"{ssoPath}/scim-token", sso, [new("defaultRole", "Developer")]);
        Assert.Equal(201, issued.Status);
        Assert.Contains("no-store", issued.CacheControl);
        var scimToken = issued.Value("new-scim-token")!;
        Assert.True(scimToken.Length >= 32);
        var active = await owner.GetAsync(ssoPath);
        Assert.StartsWith("A SCIM token is active", active.Text("scim-status"));
        Assert.DoesNotContain(scimToken, active.Html);
        var scimRevoked = await owner.PostAsync($"{ssoPath}/scim-token/revoke", active, []);
        Assert.Equal("No SCIM token: provisioning is off.", scimRevoked.Text("scim-status"));
        var security = await owner.GetAsync($"/console/o/{org}/security");
        Assert.Equal(200, security.Status);
        Assert.StartsWith("On", security.Text("mfa-status"));
        Assert.Contains("href=\"/password/forgot\"", security.Html);
    }

    [Fact]
    public async Task Another_organization_a_Viewer_and_a_form_from_elsewhere_are_refused_by_the_new_pages_and_change_nothing()
    {
        var a = await SteppedUpOwnerAsync(fixture, "Alpha Pages");
        var b = await SteppedUpOwnerAsync(fixture, "Beta Pages");
        var orgA = a.OrganizationId!;
        var orgB = b.OrganizationId!;
        var bSecrets = await b.GetAsync($"/console/o/{orgB}/secrets");
        Assert.Equal(200, (await b.PostAsync($"/console/o/{orgB}/secrets", bSecrets, [new("name", "beta-only"), new("value", "beta-value-5521")])).Status);

        var bClients = await b.GetAsync($"/console/o/{orgB}/clients");
        var bClient = await b.PostAsync($"/console/o/{orgB}/clients", bClients, [new("name", "beta client"), new("type", "machine"), new("scopes", "platform.keys")]);
        Assert.Equal(201, bClient.Status);
        var bClientId = bClient.Text("new-client-id")!;

        // Org A's Owner naming org B: refused, nothing of B shown.
        foreach (var page in new[] { "/secrets", "/clients", "/retention", "/residency", "/sso", "/security" })
        {
            var refused = await a.GetAsync($"/console/o/{orgB}{page}");
            Assert.Equal(403, refused.Status);
            Assert.Contains("id=\"refusal\"", refused.Html);
            Assert.DoesNotContain("beta-only", refused.Html);
            Assert.DoesNotContain(b.Email, refused.Html);
        }

        // A's own forms (valid anti-forgery token) posted to B's addresses: refused before any API call.
        var own = await a.GetAsync($"/console/o/{orgA}/secrets");
        Assert.Equal(403, (await a.PostAsync($"/console/o/{orgB}/secrets", own, [new("name", "beta-only"), new("value", "planted")])).Status);
        Assert.Equal(403, (await a.PostAsync($"/console/o/{orgB}/secrets/beta-only/delete", own, [])).Status);
        Assert.Equal(403, (await a.PostAsync($"/console/o/{orgB}/clients", own, [new("name", "planted"), new("type", "machine"), new("scopes", "platform.keys")])).Status);

        // B's client named under A's own organization: identity knows no such client of A's, nothing changes.
        var aClients = await a.GetAsync($"/console/o/{orgA}/clients");
        Assert.DoesNotContain(bClientId, aClients.Html);
        Assert.Equal(404, (await a.PostAsync($"/console/o/{orgA}/clients/{bClientId}/rotate", aClients, [])).Status);
        Assert.Equal(404, (await a.PostAsync($"/console/o/{orgA}/clients/{bClientId}/delete", aClients, [])).Status);
        Assert.Equal(403, (await a.PostAsync($"/console/o/{orgB}/clients/{bClientId}/delete", aClients, [])).Status);
        Assert.Contains(bClientId, (await b.GetAsync($"/console/o/{orgB}/clients")).Html);

        // Forms without the anti-forgery token: refused, nothing stored.
        Assert.Equal(400, (await a.PostAsync($"/console/o/{orgA}/secrets", own, [new("name", "csrf"), new("value", "x")], withAntiforgery: false)).Status);
        Assert.Equal(400, (await a.PostAsync($"/console/o/{orgA}/clients", own, [new("name", "csrf"), new("type", "machine"), new("scopes", "platform.keys")], withAntiforgery: false)).Status);
        Assert.Equal(400, (await a.PostAsync($"/console/o/{orgA}/secrets/beta-only/delete", own, [], withAntiforgery: false)).Status);

        // A Viewer of A: no secrets or clients in the navigation, and the forms it does not see are refused by the APIs.
        var members = await a.GetAsync($"/console/o/{orgA}/members");
        var viewer = await ConsoleUser.SignedUpAsync(fixture, organization: null, prefix: "viewer");
        Assert.Equal(200, (await a.PostAsync($"/console/o/{orgA}/members/invite", members, [new("email", viewer.Email), new("role", "Viewer")])).Status);
        var code = BrowserForms.CodeIn(await fixture.MailToAsync(viewer.Email, "invited"));
        using (var accepted = await viewer.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = code }))
        {
            Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        }

        var overview = await viewer.GetAsync($"/console/o/{orgA}");
        Assert.Equal("Viewer", overview.Text("role"));
        Assert.DoesNotContain("id=\"nav-secrets\"", overview.Html);
        Assert.DoesNotContain("id=\"nav-clients\"", overview.Html);
        Assert.Contains("id=\"nav-security\"", overview.Html);
        Assert.Equal(403, (await viewer.GetAsync($"/console/o/{orgA}/secrets")).Status);
        Assert.Equal(403, (await viewer.GetAsync($"/console/o/{orgA}/clients")).Status);
        var viewerSecret = await viewer.PostAsync($"/console/o/{orgA}/secrets", overview, [new("name", "viewer-planted"), new("value", "v")]);
        Assert.Equal(403, viewerSecret.Status);
        Assert.Contains("id=\"request-id\"", viewerSecret.Html);
        var viewerClient = await viewer.PostAsync($"/console/o/{orgA}/clients", overview, [new("name", "viewer-client"), new("type", "machine"), new("scopes", "platform.keys")]);
        Assert.Equal(403, viewerClient.Status);
        Assert.DoesNotContain("new-client-secret", viewerClient.Html);

        foreach (var (path, fields) in new (string, KeyValuePair<string, string>[])[]
        {
            ("/retention/holds", [new("scope", "organization"), new("target", ""), new("reason", "viewer hold")]),
            ("/sso/scim-token", [new("defaultRole", "Admin")]),
            ("/residency", [new("mode", "multi-region"), new("region", "")]),
        })
        {
            Assert.Equal(403, (await viewer.PostAsync($"/console/o/{orgA}{path}", overview, fields)).Status);
            Assert.Equal(403, (await a.PostAsync($"/console/o/{orgB}{path}", own, fields)).Status);
            Assert.Equal(400, (await a.PostAsync($"/console/o/{orgA}{path}", own, fields, withAntiforgery: false)).Status);
        }

        // Nothing changed anywhere.
        Assert.DoesNotContain("viewer hold", (await a.GetAsync($"/console/o/{orgA}/retention")).Html);
        Assert.Equal("No SCIM token: provisioning is off.", (await a.GetAsync($"/console/o/{orgA}/sso")).Text("scim-status"));
        Assert.Equal("No SCIM token: provisioning is off.", (await b.GetAsync($"/console/o/{orgB}/sso")).Text("scim-status"));
        var aSecrets = await a.GetAsync($"/console/o/{orgA}/secrets");
        Assert.DoesNotContain("viewer-planted", aSecrets.Html);
        Assert.DoesNotContain("csrf", aSecrets.Html);
        var bAfter = await b.GetAsync($"/console/o/{orgB}/secrets");
        Assert.Contains("data-name=\"beta-only\" data-version=\"1\"", bAfter.Html);
    }
}
