using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Platform.Hosting.Testing;
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

    private async Task<Connection> ConnectionAsync(bool wantSigned = false, bool domain = false, bool? wantAssertionsSigned = null)
    {
        var name = $"spc-{Guid.NewGuid():n}"[..16] + ".test";
        var idp = new SamlTestIdp($"https://idp.{name}/saml", $"https://idp.{name}/sso") { WantAuthnRequestsSigned = wantSigned };
        var owner = await TestUser.CreateAsync(fixture, $"owner-{Guid.NewGuid():n}@{name}");
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        await owner.StepUpAsync();
        var created = wantAssertionsSigned is { } want
            ? await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/saml/connections",
                new { name = "SAML", metadataXml = idp.Metadata(), defaultRole = "Viewer", wantAssertionsSigned = want })
            : await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/saml/connections", new { name = "SAML", metadataXml = idp.Metadata(), defaultRole = "Viewer" });
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

    private static async Task<(string[] Signing, string[] Encryption, bool AuthnRequestsSigned, bool WantAssertionsSigned)> SamlifyReadsAsync(string metadata)
    {
        var read = await SamlifyAsync(new Dictionary<string, string> { ["MODE"] = "metadata", ["SP_METADATA"] = metadata });
        return ([.. read.GetProperty("signing").EnumerateArray().Select(e => e.GetString()!)], [.. read.GetProperty("encryption").EnumerateArray().Select(e => e.GetString()!)],
            read.GetProperty("authnRequestsSigned").GetBoolean(), read.GetProperty("wantAssertionsSigned").GetBoolean());
    }

    private async Task AssertSamlifyReadsAsync(Connection c, string[] signing, string[] encryption)
    {
        var read = await SamlifyReadsAsync(await MetadataAsync(c));
        Assert.Equal(signing, read.Signing);
        Assert.Equal(encryption, read.Encryption);
        Assert.False(read.AuthnRequestsSigned);
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

        await AssertSamlifyReadsAsync(c, [signing], [encryption]);

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
        await AssertSamlifyReadsAsync(c, [signing], [encryption]);

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
        await AssertSamlifyReadsAsync(c, [nextSigning], [nextEncryption]);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.saml_rollover_finished"
            && e.GetProperty("target").GetString() == c.Id && e.GetProperty("details").GetProperty("retired").GetString()!.Contains(
                Convert.ToHexString(SHA256.HashData(Convert.FromBase64String(signing))), StringComparison.Ordinal));
    }

    /// <summary>A browser sent from the sign-in page to the IdP; returns it, its address and the redirect URL with the AuthnRequest.</summary>
    private async Task<(HttpClient Browser, string Ip, string Location)> ToIdpAsync(Connection c, string email)
    {
        var ip = IdentityFixture.NewIp();
        var browser = fixture.Client(ip);
        var page = await browser.GetStringAsync("/signin");
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"), ["email"] = email, ["password"] = "",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return (browser, ip, signIn.Headers.Location!.ToString());
    }

    private static Task<HttpResponseMessage> AcsAsync(HttpClient browser, Connection c, string samlResponse) =>
        browser.PostAsync($"/sso/saml/{c.Id}/acs", new FormUrlEncodedContent(new Dictionary<string, string> { ["SAMLResponse"] = samlResponse, ["RelayState"] = "opaque" }));

    private Task<JsonElement> RefusalAsync(string reason, string ip) =>
        fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.refused"
            && e.TryGetProperty("ip", out var i) && i.GetString() == ip
            && e.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Object && d.TryGetProperty("reason", out var r) && r.GetString() == reason);

    [Fact]
    public async Task Samlify_encrypts_assertions_to_the_published_certificate_and_the_ACS_decrypts_them_but_refuses_RSA1_5_and_another_connections_certificate()
    {
        var c = await ConnectionAsync(domain: true);
        var metadata = await MetadataAsync(c);
        var cases = new[]
        {
            (Data: "http://www.w3.org/2009/xmlenc11#aes256-gcm", Key: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"),
            (Data: "http://www.w3.org/2009/xmlenc11#aes128-gcm", Key: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"),
            (Data: "http://www.w3.org/2001/04/xmlenc#aes256-cbc", Key: "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"),
            (Data: "http://www.w3.org/2009/xmlenc11#aes256-gcm", Key: "http://www.w3.org/2001/04/xmlenc#rsa-1_5"),
        };
        var browsers = new List<(HttpClient Browser, string Ip, string Email)>();
        var requests = new List<object>();
        foreach (var (data, key) in cases)
        {
            var email = $"enc-{Guid.NewGuid():n}"[..14] + "@" + c.Domain;
            var (browser, ip, location) = await ToIdpAsync(c, email);
            browsers.Add((browser, ip, email));
            requests.Add(new { url = location, email, data, key });
        }

        var answers = (await SamlifyAsync(new Dictionary<string, string>
        {
            ["MODE"] = "respond",
            ["SP_METADATA"] = metadata,
            ["REQUESTS"] = JsonSerializer.Serialize(requests),
            ["IDP_ENTITY_ID"] = c.Idp.EntityId,
            ["IDP_KEY_PEM"] = c.Idp.Key.ExportPkcs8PrivateKeyPem(),
            ["IDP_CERT_PEM"] = c.Idp.Certificate.ExportCertificatePem(),
        })).EnumerateArray().ToList();
        for (var i = 0; i < cases.Length; i++)
        {
            Assert.True(answers[i].TryGetProperty("samlResponse", out var samlResponse) && answers[i].GetProperty("encrypted").GetBoolean(), answers[i].ToString());
            var (browser, ip, email) = browsers[i];
            var done = await AcsAsync(browser, c, samlResponse.GetString()!);
            if (cases[i].Key.EndsWith("rsa-1_5", StringComparison.Ordinal))
            {
                Assert.Equal(HttpStatusCode.BadRequest, done.StatusCode);
                Assert.Contains("data-reason=\"saml-key-transport-rsa1_5-refused\"", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1/me")).StatusCode);
                await RefusalAsync("saml-key-transport-rsa1_5-refused", ip);
                continue;
            }

            Assert.True(done.StatusCode == HttpStatusCode.Redirect, $"{cases[i]}: {await done.Content.ReadAsStringAsync()}");
            Assert.Equal(email, (await browser.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("email").GetString());
        }

        // Encrypted to another connection's certificate (the IdP's genuine signature inside): not decrypted here.
        var other = await ConnectionAsync();
        var victim = $"enc-{Guid.NewGuid():n}"[..14] + "@" + c.Domain;
        var (attacked, attackerIp, at) = await ToIdpAsync(c, victim);
        var requestId = RequestId(at);
        var answer = new SamlAnswer(victim, c.Created.GetProperty("spEntityId").GetString()!, c.Created.GetProperty("acsUrl").GetString()!, requestId, fixture.Clock.GetUtcNow())
        {
            Issuer = c.Idp.EntityId,
        };
        using (var otherCertificate = X509Certificate2.CreateFromPem(other.Created.GetProperty("spCertificates").EnumerateArray()
            .Single(k => k.GetProperty("use").GetString() == "encryption").GetProperty("pem").GetString()))
        {
            var document = c.Idp.Response(answer);
            SamlEncryption.EncryptInPlace(SamlAttacks.AssertionOf(document.DocumentElement!), otherCertificate);
            var refused = await AcsAsync(attacked, c, SamlTestIdp.Encode(document));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            await RefusalAsync("saml-decryption-failed", attackerIp);
        }

        // During a rollover, an assertion encrypted to the next certificate is decrypted (the same request, still outstanding).
        await c.Owner.StepUpAsync();
        var rolled = await (await c.Owner.Http.PostAsync(c.Path + "/certificates/rollover", null)).Content.ReadFromJsonAsync<JsonElement>();
        using var nextCertificate = X509Certificate2.CreateFromPem(rolled.GetProperty("spCertificates").EnumerateArray()
            .Single(k => k.GetProperty("use").GetString() == "encryption" && k.GetProperty("state").GetString() == "next").GetProperty("pem").GetString());
        var toNext = c.Idp.Response(answer with { AssertionId = "_a" + Guid.NewGuid().ToString("n") });
        SamlEncryption.EncryptInPlace(SamlAttacks.AssertionOf(toNext.DocumentElement!), nextCertificate, SamlEncryption.Aes128Cbc);
        var accepted = await AcsAsync(attacked, c, SamlTestIdp.Encode(toNext));
        Assert.True(accepted.StatusCode == HttpStatusCode.Redirect, await accepted.Content.ReadAsStringAsync());
        Assert.Equal(victim, (await attacked.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("email").GetString());
    }

    /// <summary>
    /// wantAssertionsSigned (issue 18 item 4): published in the SP metadata, which samlify follows. A connection that
    /// turned it off takes samlify's answers signed on the Response alone, the assertion plain or encrypted (encrypt,
    /// then sign), and refuses sign-then-encrypt (that signature covered a plaintext that did not arrive); the default
    /// connection refuses the same answers from a samlify told otherwise (an IdP that ignores the SP metadata), audited
    /// with the reason, nobody signed in.
    /// </summary>
    [Fact]
    public async Task Where_a_connection_wants_no_assertion_signature_samlifys_response_signature_suffices_and_where_it_does_the_same_answers_are_refused()
    {
        var strict = await ConnectionAsync(domain: true);
        var lenient = await ConnectionAsync(domain: true, wantAssertionsSigned: false);
        Assert.True(strict.Created.GetProperty("wantAssertionsSigned").GetBoolean());
        Assert.False(lenient.Created.GetProperty("wantAssertionsSigned").GetBoolean());
        var strictMetadata = await MetadataAsync(strict);
        var lenientMetadata = await MetadataAsync(lenient);
        Assert.True((await SamlifyReadsAsync(strictMetadata)).WantAssertionsSigned);
        Assert.False((await SamlifyReadsAsync(lenientMetadata)).WantAssertionsSigned);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.connection_created"
            && e.GetProperty("target").GetString() == lenient.Id && e.GetProperty("details").GetProperty("want_assertions_signed").GetString() == "false");

        const string Gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm", Oaep = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
        // Each: the connection, whether samlify encrypts, encrypts then signs, is told the strict connection wants no
        // assertion signature, and the reason the ACS gives (null: signed in).
        var cases = new (Connection C, bool Encrypt, bool EncryptThenSign, bool Misled, string? Reason)[]
        {
            (lenient, true, true, false, null),
            (lenient, false, false, false, null),
            (lenient, true, false, false, "saml-signature-invalid"),
            (strict, true, true, true, "saml-encrypted-assertion-not-signed"),
            (strict, false, false, true, "saml-assertion-not-signed"),
            (strict, true, true, false, null),
        };
        var browsers = new List<(HttpClient Browser, string Ip, string Email)>();
        var answers = new List<JsonElement>();
        foreach (var group in cases.Select((k, i) => (k, i)).GroupBy(x => x.k.C.Id))
        {
            var c = group.First().k.C;
            var requests = new List<object>();
            foreach (var (k, _) in group)
            {
                var email = $"was-{Guid.NewGuid():n}"[..14] + "@" + c.Domain;
                var (browser, ip, location) = await ToIdpAsync(c, email);
                browsers.Add((browser, ip, email));
                requests.Add(new
                {
                    url = location, email, data = Gcm, key = Oaep, encrypt = k.Encrypt, encryptThenSign = k.EncryptThenSign,
                    spMetadata = k.Misled ? strictMetadata.Replace("WantAssertionsSigned=\"true\"", "WantAssertionsSigned=\"false\"", StringComparison.Ordinal) : null,
                });
            }

            answers.AddRange((await SamlifyAsync(new Dictionary<string, string>
            {
                ["MODE"] = "respond",
                ["SP_METADATA"] = c == strict ? strictMetadata : lenientMetadata,
                ["REQUESTS"] = JsonSerializer.Serialize(requests),
                ["IDP_ENTITY_ID"] = c.Idp.EntityId,
                ["IDP_KEY_PEM"] = c.Idp.Key.ExportPkcs8PrivateKeyPem(),
                ["IDP_CERT_PEM"] = c.Idp.Certificate.ExportCertificatePem(),
            })).EnumerateArray());
        }

        for (var i = 0; i < cases.Length; i++)
        {
            var (c, encrypt, _, _, reason) = cases[i];
            Assert.True(answers[i].TryGetProperty("samlResponse", out var samlResponse) && answers[i].GetProperty("encrypted").GetBoolean() == encrypt, answers[i].ToString());
            var (browser, ip, email) = browsers[i];
            var done = await AcsAsync(browser, c, samlResponse.GetString()!);
            if (reason is null)
            {
                Assert.True(done.StatusCode == HttpStatusCode.Redirect, $"case {i}: {await done.Content.ReadAsStringAsync()}");
                Assert.Equal(email, (await browser.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("email").GetString());
                continue;
            }

            Assert.Equal(HttpStatusCode.BadRequest, done.StatusCode);
            Assert.Contains($"data-reason=\"{reason}\"", await done.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/v1/me")).StatusCode);
            await RefusalAsync(reason, ip);
            await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM users WHERE email_normalized = lower($1)");
            command.Parameters.AddWithValue(email);
            Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
        }
    }

    private static string RequestId(string location)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri(location).Query);
        using var inflate = new System.IO.Compression.DeflateStream(new MemoryStream(Convert.FromBase64String(query["SAMLRequest"]!)), System.IO.Compression.CompressionMode.Decompress);
        var request = new System.Xml.XmlDocument();
        request.Load(inflate);
        return request.DocumentElement!.GetAttribute("ID");
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
        string raw = new Uri(location).Query.Substring(1);
        var signed = raw.Substring(0, raw.IndexOf("&Signature=", StringComparison.Ordinal));
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
