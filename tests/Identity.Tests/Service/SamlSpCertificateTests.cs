using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// The service provider's own certificates (issue 18 item 2): each SAML connection publishes a signing and an
/// encryption certificate in its SP metadata (read by npm samlify, not by our code), an Owner with a recent second
/// factor rolls them over (both published during the rollover, the new ones alone after it), and AuthnRequests are
/// signed by the HTTP-Redirect binding when the IdP's metadata asks, verified by samlify as the IdP.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SamlSpCertificateTests(IdentityFixture fixture)
{
    private sealed record Connection(TestUser Owner, string OrgId, string Id, string Domain, SamlTestIdp Idp, JsonElement Created)
    {
        public string Path => $"/v1/organizations/{OrgId}/sso/saml/connections/{Id}";
    }

    private async Task<Connection> ConnectionAsync(bool wantSigned = false, bool domain = false)
    {
        var name = $"spc-{Guid.NewGuid():n}"[..16] + ".test";
        var idp = new SamlTestIdp($"https://idp.{name}/saml", $"https://idp.{name}/sso") { WantAuthnRequestsSigned = wantSigned };
        var owner = await TestUser.CreateAsync(fixture, $"owner-{Guid.NewGuid():n}@{name}");
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        await owner.StepUpAsync();
        var created = await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/saml/connections", new { name = "SAML", metadataXml = idp.Metadata(), defaultRole = "Viewer" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetString()!;
        if (domain)
        {
            var claim = await (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/domains", new { domain = name, connectionId = id })).Content.ReadFromJsonAsync<JsonElement>();
            fixture.Txt.Set(claim.GetProperty("txtName").GetString()!, claim.GetProperty("txtValue").GetString()!);
            Assert.Equal(HttpStatusCode.OK, (await owner.Http.PostAsync($"/v1/organizations/{orgId}/sso/domains/{name}/verify", null)).StatusCode);
        }

        return new Connection(owner, orgId, id, name, idp, body);
    }

    private static string[] Certificates(JsonElement connection, string use, string state) =>
        [.. connection.GetProperty("spCertificates").EnumerateArray()
            .Where(c => c.GetProperty("use").GetString() == use && c.GetProperty("state").GetString() == state)
            .Select(c => Convert.ToBase64String(X509Certificate2.CreateFromPem(c.GetProperty("pem").GetString()).RawData))];

    private async Task<string> MetadataAsync(Connection c) => await fixture.Client().GetStringAsync($"/sso/saml/{c.Id}/metadata");

    private static async Task<JsonElement> SamlifyAsync(IReadOnlyDictionary<string, string> environment)
    {
        await NodeClients.InstallAsync();
        var (exitCode, output) = await NodeClients.RunAsync("node", ["saml-sp-check.mjs"], TimeSpan.FromMinutes(2), environment);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        Assert.True(exitCode == 0 && line is not null, output);
        return JsonDocument.Parse(line!["RESULT ".Length..]).RootElement;
    }

    private static async Task<(string[] Signing, string[] Encryption, bool AuthnRequestsSigned)> SamlifyReadsAsync(string metadata)
    {
        var read = await SamlifyAsync(new Dictionary<string, string> { ["MODE"] = "metadata", ["SP_METADATA"] = metadata });
        return ([.. read.GetProperty("signing").EnumerateArray().Select(e => e.GetString()!)], [.. read.GetProperty("encryption").EnumerateArray().Select(e => e.GetString()!)],
            read.GetProperty("authnRequestsSigned").GetBoolean());
    }

    [Fact]
    public async Task The_SP_metadata_publishes_generated_certificates_that_samlify_reads_and_a_rollover_publishes_old_and_new_until_it_is_finished()
    {
        var c = await ConnectionAsync();
        var signing = Assert.Single(Certificates(c.Created, "signing", "current"));
        var encryption = Assert.Single(Certificates(c.Created, "encryption", "current"));
        Assert.NotEqual(signing, encryption);
        using (var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(signing)))
        {
            Assert.True(certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature));
            Assert.True(certificate.GetRSAPublicKey()!.KeySize >= 2048);
        }

        using (var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(encryption)))
        {
            Assert.True(certificate.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages.HasFlag(X509KeyUsageFlags.KeyEncipherment));
        }

        Assert.Equal(([signing], [encryption], false), await SamlifyReadsAsync(await MetadataAsync(c)));

        // The private keys are sealed at rest: nothing in the row reads as a key.
        await using (var command = fixture.Database.CreateCommand("SELECT sealed_key FROM saml_sp_keys WHERE connection_id = $1"))
        {
            command.Parameters.AddWithValue(c.Id);
            await using var reader = await command.ExecuteReaderAsync();
            var rows = 0;
            while (await reader.ReadAsync())
            {
                rows++;
                using var rsa = RSA.Create();
                Assert.ThrowsAny<CryptographicException>(() => rsa.ImportPkcs8PrivateKey(reader.GetFieldValue<byte[]>(0), out _));
            }

            Assert.Equal(2, rows);
        }

        // Nothing to finish yet; another organization's Owner cannot roll this connection over (not found, nothing made).
        var none = await (await c.Owner.Http.PostAsync(c.Path + "/certificates/rollover/finish", null)).ProblemAsync();
        Assert.Equal((HttpStatusCode.Conflict, "https://platform.dev/problems/saml-no-rollover"), (none.Status, none.Type));
        var other = await ConnectionAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Http.PostAsync($"/v1/organizations/{other.OrgId}/sso/saml/connections/{c.Id}/certificates/rollover", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.Owner.Http.PostAsync(c.Path + "/certificates/rollover", null)).StatusCode);
        Assert.Equal(([signing], [encryption], false), await SamlifyReadsAsync(await MetadataAsync(c)));

        // Start: old and new both published (current first); a second start is refused.
        var started = await c.Owner.Http.PostAsync(c.Path + "/certificates/rollover", null);
        Assert.True(started.StatusCode == HttpStatusCode.OK, await started.Content.ReadAsStringAsync());
        var during = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(during.GetProperty("rolloverInProgress").GetBoolean());
        var nextSigning = Assert.Single(Certificates(during, "signing", "next"));
        var nextEncryption = Assert.Single(Certificates(during, "encryption", "next"));
        Assert.Equal([signing], Certificates(during, "signing", "current"));
        var read = await SamlifyReadsAsync(await MetadataAsync(c));
        Assert.Equal([signing, nextSigning], read.Signing);
        Assert.Equal([encryption, nextEncryption], read.Encryption);
        var again = await (await c.Owner.Http.PostAsync(c.Path + "/certificates/rollover", null)).ProblemAsync();
        Assert.Equal((HttpStatusCode.Conflict, "https://platform.dev/problems/saml-rollover-in-progress"), (again.Status, again.Type));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.saml_rollover_started"
            && e.GetProperty("target").GetString() == c.Id && e.GetProperty("actor").GetString() == c.Owner.Id);

        // Finishing needs a recent second factor like every SSO change.
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(16));
        var stale = await (await c.Owner.Http.PostAsync(c.Path + "/certificates/rollover/finish", null)).ProblemAsync();
        Assert.Equal((HttpStatusCode.Unauthorized, "https://platform.dev/problems/step-up-required"), (stale.Status, stale.Type));
        Assert.Equal(2, (await SamlifyReadsAsync(await MetadataAsync(c))).Signing.Length);
        await c.Owner.StepUpAsync();
        var finished = await c.Owner.Http.PostAsync(c.Path + "/certificates/rollover/finish", null);
        Assert.True(finished.StatusCode == HttpStatusCode.OK, await finished.Content.ReadAsStringAsync());
        Assert.False((await finished.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rolloverInProgress").GetBoolean());
        Assert.Equal(([nextSigning], [nextEncryption], false), await SamlifyReadsAsync(await MetadataAsync(c)));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.saml_rollover_finished"
            && e.GetProperty("target").GetString() == c.Id && e.GetProperty("details").GetProperty("retired").GetString()!.Contains(
                Convert.ToHexString(SHA256.HashData(Convert.FromBase64String(signing))), StringComparison.Ordinal));
    }

    [Fact]
    public async Task AuthnRequests_are_signed_by_the_redirect_binding_when_the_IdP_wants_them_and_samlify_verifies_them()
    {
        var c = await ConnectionAsync(wantSigned: true, domain: true);
        Assert.True(c.Created.GetProperty("wantAuthnRequestsSigned").GetBoolean());
        var metadata = await MetadataAsync(c);
        Assert.True((await SamlifyReadsAsync(metadata)).AuthnRequestsSigned);

        var browser = fixture.Client(IdentityFixture.NewIp());
        var page = await browser.GetStringAsync("/signin");
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = $"someone@{c.Domain}", ["password"] = "",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var location = signIn.Headers.Location!.ToString();
        Assert.StartsWith(c.Idp.SsoUrl + "?SAMLRequest=", location, StringComparison.Ordinal);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(location).Query);
        Assert.Equal("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", query["SigAlg"].ToString());

        // Our own check: RSA-SHA256 over the query as sent, with the published signing certificate.
        var raw = new Uri(location).Query[1..];
        var signed = raw[..raw.IndexOf("&Signature=", StringComparison.Ordinal)];
        using (var certificate = X509CertificateLoader.LoadCertificate(Convert.FromBase64String(Assert.Single(Certificates(c.Created, "signing", "current")))))
        {
            Assert.True(certificate.GetRSAPublicKey()!.VerifyData(System.Text.Encoding.ASCII.GetBytes(signed), Convert.FromBase64String(query["Signature"]!),
                HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        }

        // samlify, as an IdP that wants signed requests, verifies it against our metadata; the same with RelayState altered fails.
        var result = await SamlifyAsync(new Dictionary<string, string>
        {
            ["MODE"] = "authn",
            ["SP_METADATA"] = metadata,
            ["REDIRECT_URL"] = location,
            ["IDP_KEY_PEM"] = c.Idp.Key.ExportPkcs8PrivateKeyPem(),
            ["IDP_CERT_PEM"] = c.Idp.Certificate.ExportCertificatePem(),
        });
        Assert.True(result.GetProperty("genuine").GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(c.Created.GetProperty("spEntityId").GetString(), result.GetProperty("genuine").GetProperty("issuer").GetString());
        Assert.False(result.GetProperty("tampered").GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Contains("SIGNATURE", result.GetProperty("tampered").GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
