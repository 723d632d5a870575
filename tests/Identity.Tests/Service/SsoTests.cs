using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.Hosting.Testing;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// Single sign-on through OpenID Connect (issue 18 items 1–3): an Owner's connections and domains, home-realm
/// discovery, just-in-time accounts, SSO-only with the Owners' break-glass, and every refusal of a hostile or broken
/// IdP answer (a scriptable IdP on loopback; the real one, npm oidc-provider, is driven by Chromium elsewhere).
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SsoTests(IdentityFixture fixture) : IAsyncLifetime
{
    private FakeIdentityProvider idp = null!;

    public async Task InitializeAsync() => idp = await FakeIdentityProvider.StartAsync(() => fixture.Clock.GetUtcNow());

    public async Task DisposeAsync() => await idp.DisposeAsync();

    private sealed record Sso(TestUser Owner, string OrgId, string ConnectionId, string Domain);

    private static string NewDomain() => $"acme-{Guid.NewGuid():n}".Substring(0, 17) + ".test";

    private async Task<Sso> OrganizationWithSsoAsync(FakeIdentityProvider provider, string? domain = null, bool verify = true, string[]? scopes = null)
    {
        domain ??= NewDomain();
        var owner = await TestUser.CreateAsync(fixture, $"owner-{Guid.NewGuid():n}@{domain}");
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        await owner.StepUpAsync();
        var connectionId = await CreateConnectionAsync(owner, orgId, provider, scopes: scopes);
        var claim = await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/domains", new { domain, connectionId });
        Assert.Equal(HttpStatusCode.Created, claim.StatusCode);
        var claimed = await claim.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(claimed.GetProperty("verified").GetBoolean());
        if (verify)
        {
            fixture.Txt.Set(claimed.GetProperty("txtName").GetString()!, claimed.GetProperty("txtValue").GetString()!);
            Assert.Equal(HttpStatusCode.OK, (await owner.Http.PostAsync($"/v1/organizations/{orgId}/sso/domains/{domain}/verify", null)).StatusCode);
        }

        return new Sso(owner, orgId, connectionId, domain);
    }

    private static async Task<string> CreateConnectionAsync(TestUser owner, string orgId, FakeIdentityProvider provider, string role = "Developer", string[]? scopes = null)
    {
        var response = scopes is null
            ? await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/connections",
                new { name = "Corporate IdP", issuer = provider.Issuer, clientId = provider.ClientId, clientSecret = provider.ClientSecret, defaultRole = role })
            : await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/connections",
                new { name = "Corporate IdP", issuer = provider.Issuer, clientId = provider.ClientId, clientSecret = provider.ClientSecret, defaultRole = role, scopes });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    /// <summary>A browser at the sign-in page with only an email: sent to the IdP, which sends it back with a code.</summary>
    private async Task<(HttpClient Browser, Uri Callback)> ToIdpAndBackAsync(string email, FakeIdentityProvider provider, string? returnUrl = null)
    {
        var browser = fixture.Client();
        var page = await browser.GetStringAsync("/signin");
        var form = new Dictionary<string, string> { ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = email, ["password"] = "" };
        if (returnUrl is not null) form["returnUrl"] = returnUrl;
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var authorize = signIn.Headers.Location!;
        Assert.StartsWith(provider.Issuer + "/authorize?", authorize.ToString(), StringComparison.Ordinal);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal("S256", query["code_challenge_method"].ToString());
        Assert.Equal(43, query["state"].ToString().Length);
        Assert.Equal(43, query["nonce"].ToString().Length);
        Assert.DoesNotContain(provider.ClientSecret, authorize.ToString(), StringComparison.Ordinal);
        using var idpBrowser = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var back = await idpBrowser.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        return (browser, back.Headers.Location!);
    }

    private static string PathOf(Uri callback) => callback.PathAndQuery;

    private async Task<long> UsersWithEmailAsync(string email)
    {
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM users WHERE email_normalized = $1");
        command.Parameters.AddWithValue(email.ToLowerInvariant());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Task<JsonElement> RefusalAsync(string reason, string? orgId = null) =>
        fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.refused"
            && (orgId is null || (e.TryGetProperty("organizationId", out var o) && o.ValueKind == JsonValueKind.String && o.GetString() == orgId))
            && e.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("reason", out var r) && r.GetString() == reason);

    [Fact]
    public async Task An_Owner_creates_lists_and_deletes_connections_and_the_client_secret_is_sealed_and_never_shown()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        var list = await sso.Owner.Http.GetStringAsync($"/v1/organizations/{sso.OrgId}/sso/connections");
        Assert.Contains(sso.ConnectionId, list, StringComparison.Ordinal);
        Assert.Contains("\"redirectUri\":\"https://localhost/sso/callback\"", list, StringComparison.Ordinal);
        Assert.DoesNotContain(idp.ClientSecret, list, StringComparison.Ordinal);

        await using (var command = fixture.Database.CreateCommand("SELECT client_secret FROM sso_connections WHERE id = $1"))
        {
            command.Parameters.AddWithValue(sso.ConnectionId);
            var stored = (byte[])(await command.ExecuteScalarAsync())!;
            Assert.DoesNotContain(idp.ClientSecret, Encoding.UTF8.GetString(stored), StringComparison.Ordinal);
            Assert.Equal(1, stored[0]);
        }

        var created = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.connection_created"
            && e.GetProperty("target").GetString() == sso.ConnectionId);
        Assert.Equal(sso.Owner.Id, created.GetProperty("actor").GetString());
        Assert.DoesNotContain(idp.ClientSecret, created.GetRawText(), StringComparison.Ordinal);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.domain_verified" && e.GetProperty("target").GetString() == sso.Domain);

        // An issuer whose discovery document cannot be read is refused, nothing created.
        var bad = await sso.Owner.Http.PostAsJsonAsync($"/v1/organizations/{sso.OrgId}/sso/connections",
            new { name = "Broken", issuer = "http://127.0.0.1:9/", clientId = "x", clientSecret = "y", defaultRole = "Viewer" });
        Assert.Equal("https://platform.dev/problems/sso-issuer-unusable", (await bad.ProblemAsync()).Type);
        var plain = await sso.Owner.Http.PostAsJsonAsync($"/v1/organizations/{sso.OrgId}/sso/connections",
            new { name = "Plain", issuer = "http://idp.example.com", clientId = "x", clientSecret = "y", defaultRole = "Viewer" });
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        var owner = await sso.Owner.Http.PostAsJsonAsync($"/v1/organizations/{sso.OrgId}/sso/connections",
            new { name = "Owners", issuer = idp.Issuer, clientId = "x", clientSecret = "y", defaultRole = "Owner" });
        Assert.Equal(HttpStatusCode.BadRequest, owner.StatusCode);

        var second = await CreateConnectionAsync(sso.Owner, sso.OrgId, idp);
        Assert.Equal(HttpStatusCode.NoContent, (await sso.Owner.Http.DeleteAsync($"/v1/organizations/{sso.OrgId}/sso/connections/{second}")).StatusCode);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.connection_deleted" && e.GetProperty("target").GetString() == second);
        Assert.Equal(HttpStatusCode.NotFound, (await sso.Owner.Http.DeleteAsync($"/v1/organizations/{sso.OrgId}/sso/connections/{second}")).StatusCode);
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(idp.ClientSecret, StringComparison.Ordinal));
    }

    /// <summary>The connection's scopes (issue 18 item 1): openid and email always, profile if asked; any other scope is refused and nothing is stored.</summary>
    [Fact]
    public async Task The_connections_scopes_are_asked_of_the_IdP_and_no_other_scope_is_taken()
    {
        async Task<string> AskedAsync(Sso sso)
        {
            var browser = fixture.Client();
            var page = await browser.GetStringAsync("/signin");
            var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = $"someone@{sso.Domain}", ["password"] = "",
            }));
            Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
            return Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(signIn.Headers.Location!.Query)["scope"].ToString();
        }

        var plain = await OrganizationWithSsoAsync(idp);
        Assert.Equal("openid email", await AskedAsync(plain));
        var profile = await OrganizationWithSsoAsync(idp, scopes: ["profile"]);
        Assert.Equal("openid email profile", await AskedAsync(profile));
        var listed = await profile.Owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{profile.OrgId}/sso/connections");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), c => c.GetProperty("id").GetString() == profile.ConnectionId && c.GetProperty("scopes").GetString() == "openid email profile");

        foreach (var scopes in (string[][])[["openid", "offline_access"], ["groups"], ["openid", "email", "profile", "phone"]])
        {
            var refused = await profile.Owner.Http.PostAsJsonAsync($"/v1/organizations/{profile.OrgId}/sso/connections",
                new { name = "Wider", issuer = idp.Issuer, clientId = idp.ClientId, clientSecret = idp.ClientSecret, defaultRole = "Viewer", scopes });
            Assert.Equal((HttpStatusCode.BadRequest, "https://platform.dev/problems/invalid-request"), (refused.StatusCode, (await refused.ProblemAsync()).Type));
        }

        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM sso_connections WHERE org_id = $1");
        command.Parameters.AddWithValue(profile.OrgId);
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Only_an_Owner_with_a_recent_second_factor_configures_SSO_and_another_organizations_connection_is_not_found()
    {
        var a = await OrganizationWithSsoAsync(idp);
        var b = await OrganizationWithSsoAsync(idp);

        // An Admin of A (with a fresh second factor) is refused, audited; nothing created.
        var admin = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await a.Owner.Http.PostAsJsonAsync($"/v1/organizations/{a.OrgId}/invitations", new { email = admin.Email, role = "Admin" })).StatusCode);
        var token = IdentityFixture.CodeIn(await fixture.MailToAsync(admin.Email, "invited"));
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.PostAsJsonAsync("/v1/invitations/accept", new { token })).StatusCode);
        await admin.EnrolTotpAsync();
        await admin.StepUpAsync();
        var refused = await admin.Http.PostAsJsonAsync($"/v1/organizations/{a.OrgId}/sso/connections",
            new { name = "Mine", issuer = idp.Issuer, clientId = "x", clientSecret = "y", defaultRole = "Viewer" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        var audit = await RefusalAsync("not-owner");
        Assert.Equal(admin.Id, audit.GetProperty("actor").GetString());
        Assert.Equal(a.OrgId, audit.GetProperty("organizationId").GetString());
        Assert.Single((await admin.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{a.OrgId}/sso/connections")).GetProperty("items").EnumerateArray());

        // An Owner without a second factor in the last 15 minutes: step-up required.
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(16));
        var stale = await a.Owner.Http.PostAsJsonAsync($"/v1/organizations/{a.OrgId}/sso/connections",
            new { name = "Late", issuer = idp.Issuer, clientId = "x", clientSecret = "y", defaultRole = "Viewer" });
        Assert.Equal("https://platform.dev/problems/step-up-required", (await stale.ProblemAsync()).Type);

        // B's Owner names A's connection by id: not found through B, and A's organization is not B's to reach.
        await b.Owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.DeleteAsync($"/v1/organizations/{b.OrgId}/sso/connections/{a.ConnectionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.DeleteAsync($"/v1/organizations/{a.OrgId}/sso/connections/{a.ConnectionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.PostAsJsonAsync($"/v1/organizations/{b.OrgId}/sso/domains",
            new { domain = NewDomain(), connectionId = a.ConnectionId })).StatusCode);
        await RefusalAsync("not-a-member");
        await RefusalAsync("unknown-connection");
        await RefusalAsync("unknown-connection-or-domain");
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM sso_connections WHERE id = $1");
        command.Parameters.AddWithValue(a.ConnectionId);
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_domain_is_verified_only_with_its_TXT_record_and_only_by_one_organization()
    {
        var a = await OrganizationWithSsoAsync(idp);
        var b = await OrganizationWithSsoAsync(idp, verify: false);
        // B claims A's verified domain: refused, audited.
        var taken = await b.Owner.Http.PostAsJsonAsync($"/v1/organizations/{b.OrgId}/sso/domains", new { domain = a.Domain.ToUpperInvariant(), connectionId = b.ConnectionId });
        Assert.Equal("https://platform.dev/problems/sso-domain-taken", (await taken.ProblemAsync()).Type);
        await RefusalAsync("domain-verified-by-another-organization");

        // B's own claim is not verified while the TXT record lacks its value; SSO-only needs it verified.
        var wrong = await b.Owner.Http.PostAsync($"/v1/organizations/{b.OrgId}/sso/domains/{b.Domain}/verify", null);
        Assert.Equal("https://platform.dev/problems/sso-domain-not-verified", (await wrong.ProblemAsync()).Type);
        fixture.Txt.Set("_platform-verification." + b.Domain, "platform-domain-verification=somebody-elses-value");
        Assert.Equal(HttpStatusCode.Conflict, (await b.Owner.Http.PostAsync($"/v1/organizations/{b.OrgId}/sso/domains/{b.Domain}/verify", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await b.Owner.Http.PutAsJsonAsync($"/v1/organizations/{b.OrgId}/sso/domains/{b.Domain}", new { ssoOnly = true })).StatusCode);

        // Home-realm discovery does not send an address of an unverified domain anywhere.
        var browser = fixture.Client();
        var page = await browser.GetStringAsync("/signin");
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = $"someone@{b.Domain}", ["password"] = "",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task First_sign_in_through_the_IdP_creates_the_account_and_membership_with_the_default_role()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        var email = $"new.person@{sso.Domain}";
        idp.Subject = "sub-" + Guid.NewGuid().ToString("n");
        var (browser, callback) = await ToIdpAndBackAsync(email, idp, "/account");
        var done = await browser.GetAsync(PathOf(callback));
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/account", done.Headers.Location!.OriginalString);
        var me = await browser.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Equal("fed", me.GetProperty("amr")[0].GetString());
        var userId = me.GetProperty("userId").GetString()!;
        var orgs = await browser.GetFromJsonAsync<JsonElement>("/v1/organizations");
        Assert.Contains(orgs.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetString() == sso.OrgId && o.GetProperty("role").GetString() == "Developer");
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.user_provisioned" && e.GetProperty("actor").GetString() == userId);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.signed_in" && e.GetProperty("actor").GetString() == userId);

        // The account has no password to guess.
        var password = await fixture.Client().PostAsJsonAsync("/v1/session", new { email, password = TestUser.GoodPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, password.StatusCode);

        // The second sign-in finds the same account through the IdP's subject.
        var (again, callback2) = await ToIdpAndBackAsync(email, idp);
        Assert.Equal(HttpStatusCode.Redirect, (await again.GetAsync(PathOf(callback2))).StatusCode);
        Assert.Equal(userId, (await again.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("userId").GetString());
        Assert.Equal(1, await UsersWithEmailAsync(email));
    }

    private async Task<string?> RoleAsync(string orgId, string email)
    {
        await using var command = fixture.Database.CreateCommand(
            "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email_normalized = $2");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(email.ToLowerInvariant());
        return (string?)await command.ExecuteScalarAsync();
    }

    private async Task SignInAsync(string email, FakeIdentityProvider provider)
    {
        var (browser, callback) = await ToIdpAndBackAsync(email, provider);
        var done = await browser.GetAsync(PathOf(callback));
        Assert.True(done.StatusCode == HttpStatusCode.Redirect, await done.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task IdP_groups_give_the_role_at_first_sign_in_and_at_each_sign_in_after_and_never_Owner()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        var path = $"/v1/organizations/{sso.OrgId}/sso/connections/{sso.ConnectionId}/role-mappings";
        // Owner cannot be given by an IdP; nor can a mapping be malformed. Nothing is stored.
        var owner = await (await sso.Owner.Http.PutAsJsonAsync(path, new { mappings = new[] { new { group = "Root", role = "Owner" } } })).ProblemAsync();
        Assert.Equal((HttpStatusCode.BadRequest, "https://platform.dev/problems/invalid-request"), (owner.Status, owner.Type));
        var twice = await (await sso.Owner.Http.PutAsJsonAsync(path, new { mappings = new[] { new { group = "A", role = "Admin" }, new { group = "A", role = "Viewer" } } })).ProblemAsync();
        Assert.Equal(HttpStatusCode.BadRequest, twice.Status);
        Assert.Equal(HttpStatusCode.NoContent, (await sso.Owner.Http.PutAsJsonAsync(path, new
        {
            groupsClaim = "groups",
            mappings = new[] { new { group = "Eng Admins", role = "Admin" }, new { group = "Readers", role = "Viewer" }, new { group = "Audit", role = "Auditor" } },
        })).StatusCode);
        var listed = await sso.Owner.Http.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal(3, listed.GetProperty("mappings").GetArrayLength());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.role_mappings_changed" && e.GetProperty("target").GetString() == sso.ConnectionId);

        // Another organization's Owner can neither read nor change this connection's mappings.
        var other = await OrganizationWithSsoAsync(idp);
        var foreign = $"/v1/organizations/{other.OrgId}/sso/connections/{sso.ConnectionId}/role-mappings";
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Http.PutAsJsonAsync(foreign, new { mappings = new[] { new { group = "Readers", role = "Admin" } } })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Http.GetAsync(foreign)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Http.PutAsJsonAsync(path, new { mappings = Array.Empty<object>() })).StatusCode);

        var email = $"mapped-{Guid.NewGuid():n}"[..15] + "@" + sso.Domain;
        idp.Subject = "sub-" + Guid.NewGuid().ToString("n");
        try
        {
            // Just in time: the strongest mapped role.
            idp.Tamper = claims => claims["groups"] = new[] { "Readers", "Eng Admins", "Unmapped" };
            await SignInAsync(email, idp);
            Assert.Equal("Admin", await RoleAsync(sso.OrgId, email));

            // At the next sign-in the IdP's groups are the truth again: down to Viewer, audited as a change by SSO.
            idp.Tamper = claims => claims["groups"] = "Readers";
            await SignInAsync(email, idp);
            Assert.Equal("Viewer", await RoleAsync(sso.OrgId, email));
            var changed = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.role_changed"
                && e.GetProperty("organizationId").GetString() == sso.OrgId && e.GetProperty("details").GetProperty("to").GetString() == "Viewer");
            Assert.Equal(("Admin", "sso"), (changed.GetProperty("details").GetProperty("from").GetString(), changed.GetProperty("details").GetProperty("via").GetString()));

            // No mapped group: the connection's default role. No groups claim at all: the role is left as it is.
            idp.Tamper = claims => claims["groups"] = Array.Empty<string>();
            await SignInAsync(email, idp);
            Assert.Equal("Developer", await RoleAsync(sso.OrgId, email));
            idp.Tamper = null;
            await SignInAsync(email, idp);
            Assert.Equal("Developer", await RoleAsync(sso.OrgId, email));

            // The organization's Owner makes the person Owner: no IdP group takes that away.
            await using (var promote = fixture.Database.CreateCommand(
                "UPDATE memberships SET role = 'Owner' WHERE org_id = $1 AND user_id = (SELECT id FROM users WHERE email_normalized = $2)"))
            {
                promote.Parameters.AddWithValue(sso.OrgId);
                promote.Parameters.AddWithValue(email.ToLowerInvariant());
                await promote.ExecuteNonQueryAsync();
            }

            idp.Tamper = claims => claims["groups"] = new[] { "Readers" };
            await SignInAsync(email, idp);
            Assert.Equal("Owner", await RoleAsync(sso.OrgId, email));
        }
        finally
        {
            idp.Tamper = null;
        }
    }

    [Fact]
    public async Task The_userinfo_answer_completes_what_the_ID_token_lacks_and_only_for_the_same_subject()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        Assert.Equal(HttpStatusCode.NoContent, (await sso.Owner.Http.PutAsJsonAsync($"/v1/organizations/{sso.OrgId}/sso/connections/{sso.ConnectionId}/role-mappings",
            new { mappings = new[] { new { group = "Auditors", role = "Auditor" } } })).StatusCode);
        var email = $"info-{Guid.NewGuid():n}"[..13] + "@" + sso.Domain;
        idp.Subject = "sub-" + Guid.NewGuid().ToString("n");
        // The ID token carries only the subject (as oidc-provider does by default, and Entra ID for groups overage).
        idp.Tamper = claims =>
        {
            claims.Remove("email");
            claims.Remove("email_verified");
        };
        try
        {
            // Another subject's answer is refused, and nothing is created.
            idp.Userinfo = new Dictionary<string, object> { ["sub"] = "someone-else", ["email"] = email, ["email_verified"] = true, ["groups"] = new[] { "Auditors" } };
            var (browser, callback) = await ToIdpAndBackAsync(email, idp);
            var page = await browser.GetAsync(PathOf(callback));
            Assert.Contains("data-reason=\"userinfo-subject-mismatch\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            await RefusalAsync("userinfo-subject-mismatch", sso.OrgId);
            Assert.Equal(0, await UsersWithEmailAsync(email));

            // Unverified there: refused as from the ID token.
            idp.Userinfo = new Dictionary<string, object> { ["email"] = email, ["email_verified"] = false };
            (browser, callback) = await ToIdpAndBackAsync(email, idp);
            Assert.Contains("data-reason=\"email-not-verified\"", await (await browser.GetAsync(PathOf(callback))).Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(0, await UsersWithEmailAsync(email));

            // The same subject's answer: signed in, with the role its groups give.
            var calls = idp.UserinfoCalls;
            idp.Userinfo = new Dictionary<string, object> { ["email"] = email, ["email_verified"] = true, ["groups"] = new[] { "Auditors" } };
            await SignInAsync(email, idp);
            Assert.Equal("Auditor", await RoleAsync(sso.OrgId, email));
            Assert.True(idp.UserinfoCalls > calls);

            // An ID token that has everything is not completed from userinfo (the ID token's values win).
            idp.Tamper = claims => claims["groups"] = Array.Empty<string>();
            idp.Userinfo = new Dictionary<string, object> { ["email"] = "other@evil.example", ["email_verified"] = true, ["groups"] = new[] { "Auditors" } };
            calls = idp.UserinfoCalls;
            await SignInAsync(email, idp);
            Assert.Equal(calls, idp.UserinfoCalls);
            Assert.Equal("Developer", await RoleAsync(sso.OrgId, email));
        }
        finally
        {
            idp.Tamper = null;
            idp.Userinfo = null;
        }
    }

    public static TheoryData<string, string> HostileAnswers => new()
    {
        { "wrong-issuer", "wrong-issuer" },
        { "wrong-audience", "wrong-audience" },
        { "other-nonce", "nonce-mismatch" },
        { "no-nonce", "missing-nonce" },
        { "email-not-verified", "email-not-verified" },
        { "email-verified-missing", "email-not-verified" },
        { "expired", "expired" },
        { "second-audience-without-azp", "wrong-authorized-party" },
    };

    [Theory]
    [MemberData(nameof(HostileAnswers))]
    public async Task An_ID_token_that_fails_a_check_is_refused_with_an_error_page_audited_and_nothing_created(string tamper, string reason)
    {
        var sso = await OrganizationWithSsoAsync(idp);
        var email = $"victim-{Guid.NewGuid():n}@{sso.Domain}";
        idp.Tamper = claims =>
        {
            switch (tamper)
            {
                case "wrong-issuer": claims["iss"] = "https://evil.example"; break;
                case "wrong-audience": claims["aud"] = "someone-else"; break;
                case "other-nonce": claims["nonce"] = "A".PadRight(43, 'x'); break;
                case "no-nonce": claims.Remove("nonce"); break;
                case "email-not-verified": claims["email_verified"] = false; break;
                case "email-verified-missing": claims.Remove("email_verified"); break;
                case "expired": claims["exp"] = fixture.Clock.GetUtcNow().AddMinutes(-10).ToUnixTimeSeconds(); claims["iat"] = fixture.Clock.GetUtcNow().AddMinutes(-20).ToUnixTimeSeconds(); break;
                case "second-audience-without-azp": claims["aud"] = new[] { idp.ClientId, "another-client" }; break;
            }
        };
        try
        {
            var (browser, callback) = await ToIdpAndBackAsync(email, idp);
            var page = await browser.GetAsync(PathOf(callback));
            Assert.True(page.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden, $"{page.StatusCode}");
            var html = await page.Content.ReadAsStringAsync();
            Assert.Contains($"data-reason=\"{reason}\"", html, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1/me")).StatusCode);
            var audit = await RefusalAsync(reason, sso.OrgId);
            Assert.Equal("anonymous", audit.GetProperty("actor").GetString());
            Assert.Equal(0, await UsersWithEmailAsync(email));
        }
        finally
        {
            idp.Tamper = null;
        }
    }

    [Fact]
    public async Task A_state_is_spent_once_belongs_to_its_browser_and_cannot_be_left_out()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        var email = $"replay-{Guid.NewGuid():n}@{sso.Domain}";
        var (browser, callback) = await ToIdpAndBackAsync(email, idp);

        // Another browser brings this browser's code and state (login CSRF): refused; the state stays unspent for its own browser.
        var attacker = fixture.Client();
        Assert.Contains("data-reason=\"state-not-of-this-browser\"", await (await attacker.GetAsync(PathOf(callback))).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // No state at all.
        var code = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(callback.Query)["code"].ToString();
        var missing = await browser.GetAsync($"/sso/callback?code={code}");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("data-reason=\"missing-state\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await RefusalAsync("missing-state");
        await RefusalAsync("state-not-of-this-browser");

        // The callback reads the state cookie and then clears it: start again so this browser has it, then use it twice.
        var (own, ownCallback) = await ToIdpAndBackAsync(email, idp);
        Assert.Equal(HttpStatusCode.Redirect, (await own.GetAsync(PathOf(ownCallback))).StatusCode);
        var cookie = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(ownCallback.Query)["state"].ToString();
        var replay = fixture.Client();
        replay.DefaultRequestHeaders.Add("Cookie", $"__Host-platform-sso={cookie}");
        var replayed = await replay.GetAsync(PathOf(ownCallback));
        Assert.Contains("data-reason=\"state-unknown-expired-or-replayed\"", await replayed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await RefusalAsync("state-unknown-expired-or-replayed");
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/v1/me")).StatusCode);
    }

    [Fact]
    public async Task An_IdP_does_not_take_over_an_existing_account_that_has_a_second_factor_or_another_organization()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        // Someone of the domain who signed up before SSO and owns an organization of their own: an IdP of the domain's
        // organization that asserts this address must not open the account (and with it the other organization).
        var elsewhere = await TestUser.CreateAsync(fixture, $"founder-{Guid.NewGuid():n}@{sso.Domain}");
        Assert.Equal(HttpStatusCode.Created, (await elsewhere.Http.PostAsJsonAsync("/v1/organizations", new { name = "Side project" })).StatusCode);
        // Someone of the domain whose account has a second factor: the IdP must not let it be skipped.
        var guarded = await TestUser.CreateAsync(fixture, $"guarded-{Guid.NewGuid():n}@{sso.Domain}");
        await guarded.EnrolTotpAsync();

        foreach (var user in new[] { elsewhere, guarded })
        {
            idp.Subject = "sub-" + Guid.NewGuid().ToString("n");
            var (browser, callback) = await ToIdpAndBackAsync(user.Email, idp);
            var page = await browser.GetAsync(PathOf(callback));
            Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
            Assert.Contains("data-reason=\"existing-account-not-linkable\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1/me")).StatusCode);
            await using var links = fixture.Database.CreateCommand("SELECT count(*) FROM sso_identities WHERE user_id = $1");
            links.Parameters.AddWithValue(user.Id);
            Assert.Equal(0L, (long)(await links.ExecuteScalarAsync())!);
            await using var memberships = fixture.Database.CreateCommand("SELECT count(*) FROM memberships WHERE user_id = $1 AND org_id = $2");
            memberships.Parameters.AddWithValue(user.Id);
            memberships.Parameters.AddWithValue(sso.OrgId);
            Assert.Equal(0L, (long)(await memberships.ExecuteScalarAsync())!);
        }

        await RefusalAsync("existing-account-not-linkable", sso.OrgId);
    }

    [Fact]
    public async Task An_IdP_of_one_organization_cannot_sign_in_an_address_of_another_organizations_domain()
    {
        var b = await OrganizationWithSsoAsync(idp);
        await using var idpOfA = await FakeIdentityProvider.StartAsync(() => fixture.Clock.GetUtcNow());
        var a = await OrganizationWithSsoAsync(idpOfA);
        var victim = $"ceo-{Guid.NewGuid():n}@{b.Domain}";
        // A's IdP answers for a user of A but asserts an address in B's verified domain.
        idpOfA.Tamper = claims => claims["email"] = victim;
        var (browser, callback) = await ToIdpAndBackAsync($"someone@{a.Domain}", idpOfA);
        var page = await browser.GetAsync(PathOf(callback));
        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Contains("data-reason=\"email-domain-of-another-organization\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var audit = await RefusalAsync("email-domain-of-another-organization", a.OrgId);
        Assert.Equal(a.OrgId, audit.GetProperty("organizationId").GetString());
        Assert.Equal(0, await UsersWithEmailAsync(victim));

        // An address of no verified domain at all.
        idpOfA.Tamper = claims => claims["email"] = $"someone@unverified-{Guid.NewGuid():n}.test";
        var (browser2, callback2) = await ToIdpAndBackAsync($"someone@{a.Domain}", idpOfA);
        Assert.Contains("data-reason=\"email-domain-not-verified\"", await (await browser2.GetAsync(PathOf(callback2))).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SSO_only_refuses_passwords_except_an_Owners_break_glass_sign_in_which_still_needs_the_second_factor()
    {
        var sso = await OrganizationWithSsoAsync(idp);
        // A member of the domain who signed up with a password before SSO.
        var member = await TestUser.CreateAsync(fixture, $"member-{Guid.NewGuid():n}@{sso.Domain}");
        Assert.Equal(HttpStatusCode.NoContent, (await sso.Owner.Http.PutAsJsonAsync($"/v1/organizations/{sso.OrgId}/sso/domains/{sso.Domain}", new { ssoOnly = true })).StatusCode);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.domain_changed" && e.GetProperty("target").GetString() == sso.Domain);

        var refused = await fixture.Client().PostAsJsonAsync("/v1/session", new { email = member.Email, password = member.Password });
        var problem = await refused.ProblemAsync();
        Assert.Equal(HttpStatusCode.Forbidden, problem.Status);
        Assert.Equal("https://platform.dev/problems/sso-required", problem.Type);
        // The same answer for an address of the domain that has no account.
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client().PostAsJsonAsync("/v1/session", new { email = $"nobody@{sso.Domain}", password = "whatever it is 123" })).StatusCode);
        // The page says so too.
        var browser = fixture.Client();
        var page = await browser.GetStringAsync("/signin");
        var form = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = member.Email, ["password"] = member.Password,
        }));
        Assert.Equal(HttpStatusCode.Forbidden, form.StatusCode);
        Assert.Contains("requires single sign-on", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Break-glass: a member who is no Owner is refused; the Owner gets only as far as the second factor.
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client().PostAsJsonAsync("/v1/session", new { email = member.Email, password = member.Password, breakGlass = true })).StatusCode);
        await RefusalReasonAsync("break-glass-not-owner");
        var owner = fixture.Client();
        var glass = await owner.PostAsJsonAsync("/v1/session", new { email = sso.Owner.Email, password = sso.Owner.Password, breakGlass = true });
        Assert.Equal("mfa-required", (await glass.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await owner.GetAsync("/v1/me")).StatusCode);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, (await owner.PostAsJsonAsync("/v1/session/mfa", new { code = sso.Owner.Code() })).StatusCode);
        Assert.Equal(sso.Owner.Id, (await owner.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("userId").GetString());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.break_glass" && e.GetProperty("actor").GetString() == sso.Owner.Id);

        // Through the IdP the member still signs in, to the same account.
        idp.Subject = "sub-" + Guid.NewGuid().ToString("n");
        var (sso1, callback) = await ToIdpAndBackAsync(member.Email, idp);
        Assert.Equal(HttpStatusCode.Redirect, (await sso1.GetAsync(PathOf(callback))).StatusCode);
        Assert.Equal(member.Id, (await sso1.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("userId").GetString());
    }

    private Task<JsonElement> RefusalReasonAsync(string reason) =>
        fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sign_in.failed"
            && e.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("reason", out var r) && r.GetString() == reason);
}
