using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml;
using Platform.Hosting.Testing;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// SAML 2.0 single sign-on through the service (issue 18 items 1, 4): an Owner's connection from IdP metadata, the
/// SP metadata, home-realm discovery to the IdP with an AuthnRequest, the ACS creating the account just in time, and
/// every hostile response refused at the ACS with an error page, an audit event with its reason, and no account or
/// session (a scripted IdP signing with .NET; the real one, npm samlify, is driven by Chromium elsewhere).
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SamlTests(IdentityFixture fixture)
{
    private static readonly SemaphoreSlim sharedGate = new(1, 1);
    private static SamlOrganization? shared;

    private sealed record SamlOrganization(TestUser Owner, string OrgId, string ConnectionId, string Domain, SamlTestIdp Idp, string SpEntityId, string AcsUrl)
    {
        public string AcsPath => new Uri(AcsUrl).AbsolutePath;
    }

    private static string NewDomain() => $"saml-{Guid.NewGuid():n}".Substring(0, 17) + ".test";

    private async Task<SamlOrganization> OrganizationAsync(bool allowIdpInitiated = false, string? domain = null)
    {
        domain ??= NewDomain();
        var idp = new SamlTestIdp($"https://idp.{domain}/saml", $"https://idp.{domain}/sso");
        var owner = await TestUser.CreateAsync(fixture, $"owner-{Guid.NewGuid():n}@{domain}");
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        await owner.StepUpAsync();
        var created = await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/saml/connections",
            new { name = "Corporate SAML", metadataXml = idp.Metadata(), allowIdpInitiated, defaultRole = "Viewer" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var connection = await created.Content.ReadFromJsonAsync<JsonElement>();
        var connectionId = connection.GetProperty("id").GetString()!;
        var claim = await (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/domains", new { domain, connectionId })).Content.ReadFromJsonAsync<JsonElement>();
        fixture.Txt.Set(claim.GetProperty("txtName").GetString()!, claim.GetProperty("txtValue").GetString()!);
        Assert.Equal(HttpStatusCode.OK, (await owner.Http.PostAsync($"/v1/organizations/{orgId}/sso/domains/{domain}/verify", null)).StatusCode);
        return new SamlOrganization(owner, orgId, connectionId, domain, idp, connection.GetProperty("spEntityId").GetString()!, connection.GetProperty("acsUrl").GetString()!);
    }

    private async Task<SamlOrganization> SharedAsync()
    {
        await sharedGate.WaitAsync();
        try
        {
            return shared ??= await OrganizationAsync();
        }
        finally
        {
            sharedGate.Release();
        }
    }

    /// <summary>A browser at the sign-in page with only an email, sent to the IdP with an AuthnRequest; returns the request's ID.</summary>
    private async Task<(HttpClient Browser, string RequestId, string Ip)> ToIdpAsync(SamlOrganization org, string email, string? returnUrl = null)
    {
        var ip = IdentityFixture.NewIp();
        var browser = fixture.Client(ip);
        var page = await browser.GetStringAsync("/signin");
        var form = new Dictionary<string, string> { ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = email, ["password"] = "" };
        if (returnUrl is not null) form["returnUrl"] = returnUrl;
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(form));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var location = signIn.Headers.Location!;
        Assert.StartsWith(org.Idp.SsoUrl + "?", location.ToString(), StringComparison.Ordinal);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-platform-saml=", StringComparison.Ordinal));
        Assert.Contains("samesite=none", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(location.Query);
        // RelayState is opaque: the return URL never travels to the IdP. This IdP does not want signed requests.
        Assert.False(string.IsNullOrEmpty(query["RelayState"]));
        Assert.False(query.ContainsKey("Signature") || query.ContainsKey("SigAlg"));
        if (returnUrl is not null) Assert.DoesNotContain(returnUrl, location.ToString(), StringComparison.Ordinal);
        using var inflate = new DeflateStream(new MemoryStream(Convert.FromBase64String(query["SAMLRequest"]!)), CompressionMode.Decompress);
        var request = new XmlDocument();
        request.Load(inflate);
        var root = request.DocumentElement!;
        Assert.Equal("AuthnRequest", root.LocalName);
        Assert.Equal(org.AcsUrl, root.GetAttribute("AssertionConsumerServiceURL"));
        Assert.Equal(org.Idp.SsoUrl, root.GetAttribute("Destination"));
        Assert.Equal(org.SpEntityId, root.GetElementsByTagName("Issuer", SamlTestIdp.Assertion)[0]!.InnerText);
        return (browser, root.GetAttribute("ID"), ip);
    }

    private SamlAnswer Answer(SamlOrganization org, string email, string? inResponseTo) =>
        new(email, org.SpEntityId, org.AcsUrl, inResponseTo, fixture.Clock.GetUtcNow()) { Issuer = org.Idp.EntityId };

    private static Task<HttpResponseMessage> PostAsync(HttpClient browser, SamlOrganization org, string samlResponse) =>
        browser.PostAsync(org.AcsPath, new FormUrlEncodedContent(new Dictionary<string, string> { ["SAMLResponse"] = samlResponse, ["RelayState"] = "opaque" }));

    private Task<JsonElement> RefusalAsync(string reason, string ip) =>
        fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.refused"
            && e.TryGetProperty("ip", out var i) && i.GetString() == ip
            && e.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("reason", out var r) && r.GetString() == reason);

    private async Task<long> UsersWithEmailAsync(string email)
    {
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM users WHERE email_normalized = $1");
        command.Parameters.AddWithValue(email.ToLowerInvariant());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Refused: an error page naming the reason class, no session cookie, the refusal audited from this browser's address, no account.</summary>
    private async Task AssertRefusedAsync(HttpResponseMessage response, HttpClient browser, string ip, string reason, string email, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var page = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {page}");
        Assert.Contains($"data-reason=\"{reason}\"", page, StringComparison.Ordinal);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => !c.StartsWith("__Host-platform-saml=", StringComparison.Ordinal)
            && !c.Contains("antiforgery", StringComparison.OrdinalIgnoreCase) && !c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)),
            "A refused response set a cookie: " + string.Join("; ", cookies ?? []));
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1/me")).StatusCode);
        var audit = await RefusalAsync(reason, ip);
        Assert.Equal("anonymous", audit.GetProperty("actor").GetString());
        Assert.Equal(0, await UsersWithEmailAsync(email));
    }

    [Fact]
    public async Task An_Owner_creates_lists_and_deletes_a_SAML_connection_and_its_SP_metadata_is_public()
    {
        var org = await OrganizationAsync();
        var list = await org.Owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{org.OrgId}/sso/saml/connections");
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(org.Idp.EntityId, item.GetProperty("idpEntityId").GetString());
        Assert.False(item.GetProperty("allowIdpInitiated").GetBoolean());
        Assert.Equal($"https://localhost/sso/saml/{org.ConnectionId}/acs", item.GetProperty("acsUrl").GetString());
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(org.Idp.Certificate.RawData)),
            Assert.Single(item.GetProperty("certificates").EnumerateArray()).GetProperty("sha256Thumbprint").GetString());
        var all = await org.Owner.Http.GetStringAsync($"/v1/organizations/{org.OrgId}/sso/connections");
        Assert.Contains("\"protocol\":\"saml\"", all, StringComparison.Ordinal);

        // The SP metadata, without a session.
        var metadata = await fixture.Client().GetAsync(new Uri(item.GetProperty("spMetadataUrl").GetString()!).AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, metadata.StatusCode);
        var xml = new XmlDocument();
        xml.LoadXml(await metadata.Content.ReadAsStringAsync());
        Assert.Equal(org.SpEntityId, xml.DocumentElement!.GetAttribute("entityID"));
        Assert.Equal(org.AcsUrl, ((XmlElement)xml.GetElementsByTagName("AssertionConsumerService", "urn:oasis:names:tc:SAML:2.0:metadata")[0]!).GetAttribute("Location"));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.connection_created"
            && e.GetProperty("target").GetString() == org.ConnectionId && e.GetProperty("actor").GetString() == org.Owner.Id);

        // Two certificates (a rollover) are both kept.
        using var next = new SamlTestIdp(org.Idp.EntityId);
        var rollover = await org.Owner.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/sso/saml/connections",
            new { name = "Rollover", metadataXml = org.Idp.Metadata(next.CertificateBase64) });
        Assert.Equal(2, (await rollover.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("certificates").GetArrayLength());

        Assert.Equal(HttpStatusCode.NoContent, (await org.Owner.Http.DeleteAsync($"/v1/organizations/{org.OrgId}/sso/saml/connections/{org.ConnectionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Client().GetAsync(new Uri(item.GetProperty("spMetadataUrl").GetString()!).AbsolutePath)).StatusCode);
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM saml_connections WHERE connection_id = $1");
        command.Parameters.AddWithValue(org.ConnectionId);
        Assert.Equal(0L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Unusable_metadata_is_refused_with_a_problem_and_nothing_is_stored()
    {
        var org = await SharedAsync();
        await org.Owner.StepUpAsync();
        using var expired = new SamlTestIdp(notAfter: DateTimeOffset.UtcNow.AddDays(-1), notBefore: DateTimeOffset.UtcNow.AddDays(-60));
        using var encryptionOnly = new SamlTestIdp(keyUsage: System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.KeyEncipherment);
        var cases = new Dictionary<string, object>
        {
            ["malformed"] = new { name = "Bad", metadataXml = "<md:EntityDescriptor xmlns:md=" },
            ["expired certificate"] = new { name = "Bad", metadataXml = expired.Metadata() },
            ["not a signing certificate"] = new { name = "Bad", metadataXml = encryptionOnly.Metadata() },
            ["dtd"] = new { name = "Bad", metadataXml = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>" + org.Idp.Metadata().Trim() },
        };
        foreach (var (name, body) in cases)
        {
            var response = await org.Owner.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/sso/saml/connections", body);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, name);
            Assert.Equal("https://platform.dev/problems/saml-metadata-unusable", (await response.ProblemAsync()).Type);
        }

        var neither = await org.Owner.Http.PostAsJsonAsync($"/v1/organizations/{org.OrgId}/sso/saml/connections", new { name = "Nothing" });
        Assert.Equal("https://platform.dev/problems/invalid-request", (await neither.ProblemAsync()).Type);
        var items = (await org.Owner.Http.GetFromJsonAsync<JsonElement>($"/v1/organizations/{org.OrgId}/sso/saml/connections")).GetProperty("items");
        Assert.Equal([org.ConnectionId], items.EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToArray());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.refused" && e.GetProperty("actor").GetString() == org.Owner.Id
            && e.GetProperty("details").GetProperty("reason").GetString() == "saml-metadata-unusable");
    }

    [Fact]
    public async Task A_non_Owner_cannot_create_a_connection_and_another_organizations_connection_is_not_found_by_id()
    {
        var a = await SharedAsync();
        var b = await OrganizationAsync();
        var admin = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Created, (await b.Owner.Http.PostAsJsonAsync($"/v1/organizations/{b.OrgId}/invitations", new { email = admin.Email, role = "Admin" })).StatusCode);
        var token = IdentityFixture.CodeIn(await fixture.MailToAsync(admin.Email, "invited"));
        Assert.Equal(HttpStatusCode.OK, (await admin.Http.PostAsJsonAsync("/v1/invitations/accept", new { token })).StatusCode);
        await admin.EnrolTotpAsync();
        await admin.StepUpAsync();
        var refused = await admin.Http.PostAsJsonAsync($"/v1/organizations/{b.OrgId}/sso/saml/connections", new { name = "Mine", metadataXml = b.Idp.Metadata() });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.refused" && e.GetProperty("actor").GetString() == admin.Id
            && e.GetProperty("details").GetProperty("reason").GetString() == "not-owner" && e.GetProperty("details").GetProperty("operation").GetString() == "create-saml-connection");

        // B's Owner names A's connection by id, through B and through A: not found, nothing deleted.
        await b.Owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.DeleteAsync($"/v1/organizations/{b.OrgId}/sso/saml/connections/{a.ConnectionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.DeleteAsync($"/v1/organizations/{b.OrgId}/sso/connections/{a.ConnectionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.DeleteAsync($"/v1/organizations/{a.OrgId}/sso/saml/connections/{a.ConnectionId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.PostAsJsonAsync($"/v1/organizations/{b.OrgId}/sso/domains",
            new { domain = NewDomain(), connectionId = a.ConnectionId })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await b.Owner.Http.GetAsync($"/v1/organizations/{a.OrgId}/sso/saml/connections")).StatusCode);
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM saml_connections WHERE connection_id = $1");
        command.Parameters.AddWithValue(a.ConnectionId);
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Home_realm_discovery_sends_the_user_to_the_IdP_and_the_ACS_creates_the_account_and_session_once()
    {
        var org = await SharedAsync();
        var email = $"new-{Guid.NewGuid():n}"[..16] + "@" + org.Domain;
        var (browser, requestId, _) = await ToIdpAsync(org, email, "/account");
        var response = SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, requestId)));
        var done = await PostAsync(browser, org, response);
        Assert.True(done.StatusCode == HttpStatusCode.Redirect, await done.Content.ReadAsStringAsync());
        Assert.Equal("/account", done.Headers.Location!.OriginalString);
        var me = await browser.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal(email, me.GetProperty("email").GetString());
        Assert.Equal("fed", me.GetProperty("amr")[0].GetString());
        var userId = me.GetProperty("userId").GetString()!;
        var orgs = await browser.GetFromJsonAsync<JsonElement>("/v1/organizations");
        Assert.Contains(orgs.GetProperty("items").EnumerateArray(), o => o.GetProperty("id").GetString() == org.OrgId && o.GetProperty("role").GetString() == "Viewer");
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.user_provisioned" && e.GetProperty("actor").GetString() == userId);

        // The same response again (another browser, or this one): its request is spent.
        var (thief, _, thiefIp) = await ToIdpAsync(org, $"other@{org.Domain}");
        await AssertRefusedAsync(await PostAsync(thief, org, response), thief, thiefIp, "saml-in-response-to-unknown-or-consumed", $"nobody-{Guid.NewGuid():n}@{org.Domain}");
        Assert.Equal(1, await UsersWithEmailAsync(email));

        // The next sign-in finds the same account through the NameID.
        var (again, secondRequest, _) = await ToIdpAsync(org, email);
        Assert.Equal(HttpStatusCode.Redirect, (await PostAsync(again, org, SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, secondRequest))))).StatusCode);
        Assert.Equal(userId, (await again.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("userId").GetString());
    }

    public static TheoryData<string> Attacks() => new(SamlAttacks.All.Select(a => a.Name));

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_hostile_response_is_refused_at_the_ACS_audited_with_its_reason_and_creates_nothing(string name)
    {
        // Signed by Debian's xmlsec1 here (the unit tests sign the same catalogue with .NET and with xmlsec1).
        await Xmlsec1.EnsureAsync();
        SamlTestIdp.WithXmlsec1.Value = true;
        var attack = SamlAttacks.All.Single(a => a.Name == name);
        var org = await SharedAsync();
        var attacker = $"mallory-{Guid.NewGuid():n}"[..20] + "@" + org.Domain;
        var victim = $"victim-{Guid.NewGuid():n}"[..20] + "@" + org.Domain;
        var (browser, requestId, ip) = await ToIdpAsync(org, attacker);
        var response = await PostAsync(browser, org, attack.Build(org.Idp, Answer(org, attacker, requestId), victim));
        await AssertRefusedAsync(response, browser, ip, attack.Reason, victim);
        Assert.Equal(0, await UsersWithEmailAsync(attacker));
    }

    [Fact]
    public async Task Responses_not_tied_to_this_browsers_outstanding_request_are_refused()
    {
        var org = await SharedAsync();
        var email = $"u-{Guid.NewGuid():n}"[..14] + "@" + org.Domain;

        // An InResponseTo the service never issued.
        var (browser, _, ip) = await ToIdpAsync(org, email);
        await AssertRefusedAsync(await PostAsync(browser, org, SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, "_never-issued")))), browser, ip,
            "saml-in-response-to-unknown-or-consumed", email);

        // A request started in the victim's browser, answered in the attacker's (login CSRF the other way round).
        var (_, victimsRequest, _) = await ToIdpAsync(org, email);
        var (other, _, otherIp) = await ToIdpAsync(org, email);
        await AssertRefusedAsync(await PostAsync(other, org, SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, victimsRequest)))), other, otherIp,
            "saml-in-response-to-not-of-this-browser", email);

        // Unsolicited (IdP-initiated) on a connection that does not allow it.
        var ipUnsolicited = IdentityFixture.NewIp();
        var stranger = fixture.Client(ipUnsolicited);
        await AssertRefusedAsync(await PostAsync(stranger, org, SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, null)))), stranger, ipUnsolicited,
            "saml-unsolicited-not-allowed", email);

        // An expired outstanding request.
        var (late, lateRequest, lateIp) = await ToIdpAsync(org, email);
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(11));
        await AssertRefusedAsync(await PostAsync(late, org, SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, lateRequest)))), late, lateIp,
            "saml-in-response-to-unknown-or-consumed", email);
    }

    [Fact]
    public async Task Where_IdP_initiated_sign_in_is_allowed_each_assertion_is_still_accepted_once()
    {
        var org = await OrganizationAsync(allowIdpInitiated: true);
        var email = $"idp-{Guid.NewGuid():n}"[..16] + "@" + org.Domain;
        var response = SamlTestIdp.Encode(org.Idp.Response(Answer(org, email, null)));
        var first = fixture.Client();
        var done = await PostAsync(first, org, response);
        Assert.True(done.StatusCode == HttpStatusCode.Redirect, await done.Content.ReadAsStringAsync());
        Assert.Equal(email, (await first.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("email").GetString());

        var ip = IdentityFixture.NewIp();
        var replay = fixture.Client(ip);
        await AssertRefusedAsync(await PostAsync(replay, org, response), replay, ip, "saml-assertion-replayed", $"none-{Guid.NewGuid():n}@{org.Domain}");
    }

    /// <summary>
    /// Roles from IdP groups (issue 18 item 2) through SAML: the connection's groups attribute (here `memberOf`) of the
    /// verified assertion gives the strongest mapped role just in time and again at each sign-in; a value that is not
    /// plain text, an attribute of another name, and groups placed outside the verified assertion are not read.
    /// </summary>
    [Fact]
    public async Task Groups_of_the_verified_assertion_give_the_mapped_role_at_each_sign_in_and_nothing_else_in_the_document_does()
    {
        var org = await OrganizationAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await org.Owner.Http.PutAsJsonAsync($"/v1/organizations/{org.OrgId}/sso/connections/{org.ConnectionId}/role-mappings", new
        {
            groupsClaim = "memberOf",
            mappings = new[] { new { group = "Eng Admins", role = "Admin" }, new { group = "Readers", role = "Viewer" }, new { group = "Builders", role = "Developer" } },
        })).StatusCode);
        var email = $"grp-{Guid.NewGuid():n}"[..16] + "@" + org.Domain;

        async Task<string> SignInAsync(Func<SamlAnswer, SamlAnswer> shape, Action<XmlDocument>? reshape = null)
        {
            var (browser, requestId, _) = await ToIdpAsync(org, email);
            var document = org.Idp.Response(shape(Answer(org, email, requestId)));
            reshape?.Invoke(document);
            var done = await PostAsync(browser, org, SamlTestIdp.Encode(document));
            Assert.True(done.StatusCode == HttpStatusCode.Redirect, await done.Content.ReadAsStringAsync());
            var orgs = await browser.GetFromJsonAsync<JsonElement>("/v1/organizations");
            return orgs.GetProperty("items").EnumerateArray().Single(o => o.GetProperty("id").GetString() == org.OrgId).GetProperty("role").GetString()!;
        }

        // Just in time: the strongest mapped group; then the IdP's groups are the truth at each sign-in.
        Assert.Equal("Admin", await SignInAsync(a => a with { Attributes = [("memberOf", ["Readers", "Eng Admins", "Unmapped"])] }));
        Assert.Equal("Viewer", await SignInAsync(a => a with { Attributes = [("memberOf", ["Readers"])] }));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.member.role_changed"
            && e.GetProperty("organizationId").GetString() == org.OrgId && e.GetProperty("details").GetProperty("to").GetString() == "Viewer"
            && e.GetProperty("details").GetProperty("via").GetString() == "sso");

        // A value with a comment inside is not plain text (exclusive c14n keeps the signature valid without it): not read.
        Assert.Equal("Developer", await SignInAsync(a => a with { Attributes = [("memberOf", ["Eng <!---->Admins", "Builders"])] }));
        // Groups under another attribute name, or none at all: the IdP said nothing of groups, the role is left as it is.
        Assert.Equal("Developer", await SignInAsync(a => a with { Attributes = [("groups", ["Eng Admins"])] }));
        Assert.Equal("Developer", await SignInAsync(a => a));

        // An AttributeStatement naming Eng Admins in the Response's Extensions, outside the signed assertion: never read.
        Assert.Equal("Viewer", await SignInAsync(a => a with { Attributes = [("memberOf", ["Readers"])] }, document =>
        {
            var response = document.DocumentElement!;
            var extensions = document.CreateElement("samlp", "Extensions", SamlTestIdp.Protocol);
            var statement = document.CreateElement("saml", "AttributeStatement", SamlTestIdp.Assertion);
            var attribute = document.CreateElement("saml", "Attribute", SamlTestIdp.Assertion);
            attribute.SetAttribute("Name", "memberOf");
            var value = document.CreateElement("saml", "AttributeValue", SamlTestIdp.Assertion);
            value.InnerText = "Eng Admins";
            attribute.AppendChild(value);
            statement.AppendChild(attribute);
            extensions.AppendChild(statement);
            response.InsertBefore(extensions, response.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Status"));
        }));
    }

    [Fact]
    public async Task An_IdP_of_one_organization_cannot_sign_in_an_address_of_another_organizations_verified_domain()
    {
        var a = await SharedAsync();
        var b = await OrganizationAsync();
        var victim = $"cfo-{Guid.NewGuid():n}"[..16] + "@" + b.Domain;
        var (browser, requestId, ip) = await ToIdpAsync(a, $"someone@{a.Domain}");
        await AssertRefusedAsync(await PostAsync(browser, a, SamlTestIdp.Encode(a.Idp.Response(Answer(a, victim, requestId)))), browser, ip,
            "email-domain-of-another-organization", victim, HttpStatusCode.Forbidden);

        // Nor does B's ACS take A's IdP's answer (other certificates, other audience).
        var (other, otherRequest, otherIp) = await ToIdpAsync(b, victim);
        var forA = Answer(a, victim, otherRequest) with { Audience = b.SpEntityId, Acs = b.AcsUrl };
        await AssertRefusedAsync(await PostAsync(other, b, SamlTestIdp.Encode(a.Idp.Response(forA))), other, otherIp, "saml-signature-invalid", victim);
    }
}
