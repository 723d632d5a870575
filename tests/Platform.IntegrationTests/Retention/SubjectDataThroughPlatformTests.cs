using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;
using Platform.IntegrationTests.Security;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// Issue 16 item 6 end to end through the gateway over HTTPS: an access/portability request gathers the person's data
/// from identity, keys, both storages and audit into a sealed, signed JSON archive that an Owner or Admin downloads;
/// an erasure anonymises or deletes it everywhere except what a hold keeps (listed in the signed receipt), and the
/// audit log still verifies offline with platformctl afterwards. Another organization's Owner reaches neither.
/// </summary>
[Collection(Collections.Retention)]
public sealed class SubjectDataThroughPlatformTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private const string KeyScopes = "openid platform.organizations platform.keys";

    [Fact]
    public async Task A_portability_request_gathers_the_persons_data_from_every_service_into_a_signed_archive_only_this_organization_reads()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        var attacker = await RetentionOrganization.CreateAsync(fixture);
        var (subject, subjectToken, ownOrganization) = await organization.MemberAsync("Admin", mfa: true, scope: KeyScopes);
        var subjectId = IdentityUser.Claims(subjectToken).GetProperty("sub").GetString()!;
        var (keyId, objectId) = await KeyAndUploadAsync(organization, subjectToken);
        var euContent = RandomNumberGenerator.GetBytes(3000);
        var (_, euObjectId) = await KeyAndUploadAsync(organization, subjectToken, "eu", euContent);
        using var api = organization.Api();
        using var attackerApi = attacker.Api();

        // Org A's Owner names org B's person: 404 and nothing registered.
        using (var stranger = await attackerApi.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "access", userId = subjectId }))
            await AssertProblemAsync(stranger, HttpStatusCode.NotFound, "subject-not-found");
        using (var mixed = await api.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "erasure", userId = subjectId, includeObjects = true }))
            await AssertProblemAsync(mixed, HttpStatusCode.BadRequest, "invalid-request");

        // The same person in another organization (B, the attacker's), uploading there too: none of it may reach A's archive.
        var elsewhereContent = RandomNumberGenerator.GetBytes(2000);
        var (_, elsewhereObjectId) = await KeyAndUploadAsync(attacker, await attacker.JoinAsync(subject, "Admin", stepUp: true, scope: KeyScopes), "eu", elsewhereContent);

        var created = await JsonAsync(await api.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "portability", userId = subjectId, includeObjects = true }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var done = await CompletedAsync(api, id);
        Assert.All(done.GetProperty("parts").EnumerateArray(), p => Assert.NotEqual(JsonValueKind.Null, p.GetProperty("answeredAt").ValueKind));
        Assert.Equal(["audit", "identity", "keys", "storage-eu", "storage-us"], done.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("participant").GetString()!).Order().ToArray());

        // The attacker's Owner: neither the request nor its archive, by id or with a forged organization header.
        using (var forged = new HttpRequestMessage(HttpMethod.Get, $"/v1/retention/subject-requests/{id}/archive"))
        {
            forged.Headers.TryAddWithoutValidation("X-Platform-Organization", organization.Id);
            using var response = await attackerApi.SendAsync(forged);
            await AssertProblemAsync(response, HttpStatusCode.NotFound, "not-found");
        }

        using (var read = await attackerApi.GetAsync($"/v1/retention/subject-requests/{id}")) await AssertProblemAsync(read, HttpStatusCode.NotFound, "not-found");
        // A role that may not: an Auditor of the organization.
        using (var auditor = organization.Api(await organization.MemberTokenAsync("Auditor")))
        using (var refused = await auditor.GetAsync($"/v1/retention/subject-requests/{id}/archive"))
        {
            await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "insufficient-role");
        }

        using var download = await api.GetAsync($"/v1/retention/subject-requests/{id}/archive");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/json", download.Content.Headers.ContentType?.MediaType);
        var text = await download.Content.ReadAsStringAsync();
        var verifier = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromBase64String(download.Headers.GetValues("Platform-Archive-Verifier-Key").Single()), KeyBlobFormat.RawPublicKey);
        var signature = Convert.FromBase64String(download.Headers.GetValues("Platform-Archive-Signature").Single());
        Assert.True(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text), signature));
        Assert.False(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text.Replace(subjectId, "usr_someone_else")), signature));

        var archive = JsonDocument.Parse(text).RootElement;
        Assert.Equal(id, archive.GetProperty("requestId").GetString());
        var services = archive.GetProperty("services");
        Assert.Equal(subject.Email, services.GetProperty("identity").GetProperty("profile")[0].GetProperty("email").GetString());
        var membership = Assert.Single(services.GetProperty("identity").GetProperty("memberships").EnumerateArray());
        Assert.Equal("Admin", membership.GetProperty("role").GetString());
        Assert.NotEmpty(services.GetProperty("identity").GetProperty("sessions").EnumerateArray());
        Assert.Contains(services.GetProperty("keys").GetProperty("apiKeys").EnumerateArray(), k => k.GetProperty("id").GetString() == keyId);
        // The objects they uploaded in each region, with their bytes (inside the signed text) and those bytes' SHA-256.
        var usObject = Assert.Single(services.GetProperty("storage-us").GetProperty("objects").EnumerateArray(), o => o.GetProperty("id").GetString() == objectId);
        Assert.Equal("{\"boxes\":[]}"u8.ToArray(), usObject.GetProperty("content").GetBytesFromBase64());
        var euObject = Assert.Single(services.GetProperty("storage-eu").GetProperty("objects").EnumerateArray());
        Assert.Equal(euObjectId, euObject.GetProperty("id").GetString());
        Assert.Equal(euContent, euObject.GetProperty("content").GetBytesFromBase64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(euContent)), euObject.GetProperty("sha256").GetString());
        Assert.Equal(JsonValueKind.Null, euObject.GetProperty("contentOmitted").ValueKind);
        // Not the person's uploads in organization B, by id or by bytes.
        foreach (var elsewhere in new[] { elsewhereObjectId, Convert.ToBase64String(elsewhereContent) }) Assert.DoesNotContain(elsewhere, text, StringComparison.Ordinal);
        Assert.Contains(services.GetProperty("audit").GetProperty("auditEntries").EnumerateArray(),
            e => e.GetProperty("action").GetString() == "key.created" && e.GetProperty("actor").GetString() == subjectId);
        Assert.Contains(services.GetProperty("retention").GetProperty("subjectRequests").EnumerateArray(), r => r.GetProperty("id").GetString() == id);
        // Nothing of elsewhere: the person's own other organization, the attacker's, no secret.
        foreach (var elsewhere in new[] { ownOrganization, attacker.Id, "password", "secretHash", "totpSecret" }) Assert.DoesNotContain(elsewhere, text, StringComparison.OrdinalIgnoreCase);

        var audit = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=subject-request.archive.downloaded&target={id}");
        Assert.Equal(organization.OwnerUserId, audit.GetProperty("actor").GetString());
        var completed = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=subject-request.completed&target={id}");
        Assert.Equal(Convert.ToBase64String(signature), completed.GetProperty("details").GetProperty("archiveSignature").GetString());
    }

    [Fact]
    public async Task An_erasure_anonymises_the_person_everywhere_keeps_what_a_hold_covers_and_the_audit_log_still_verifies()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        var attacker = await RetentionOrganization.CreateAsync(fixture);
        var (_, subjectToken, _) = await organization.MemberAsync("Admin", mfa: true, scope: KeyScopes);
        var subjectId = IdentityUser.Claims(subjectToken).GetProperty("sub").GetString()!;
        var (keyId, _) = await KeyAndUploadAsync(organization, subjectToken);
        var (_, heldToken, _) = await organization.MemberAsync("Admin", mfa: true, scope: KeyScopes);
        var heldId = IdentityUser.Claims(heldToken).GetProperty("sub").GetString()!;
        var (heldKeyId, _) = await KeyAndUploadAsync(organization, heldToken);
        using var api = organization.Api();
        using var attackerApi = attacker.Api();
        var keyCreated = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=key.created&target={keyId}");
        Assert.NotNull(keyCreated.GetProperty("ip").GetString());

        // The attacker's Owner cannot have the victim's member erased.
        using (var stranger = await attackerApi.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "erasure", userId = subjectId }))
            await AssertProblemAsync(stranger, HttpStatusCode.NotFound, "subject-not-found");

        var erasure = await JsonAsync(await api.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "erasure", userId = subjectId }), HttpStatusCode.Created);
        var (receipt, _) = await ReceiptAsync(api, erasure.GetProperty("id").GetString()!);
        var parts = receipt.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("participant").GetString()!);
        Assert.Equal(["audit", "identity", "keys", "retention", "storage-eu", "storage-us"], parts.Keys.Order().ToArray());
        Assert.Equal(1, parts["identity"].GetProperty("erased").GetProperty("memberships").GetInt64());
        Assert.Equal(1, parts["keys"].GetProperty("erased").GetProperty("apiKeysRevoked").GetInt64());
        Assert.True(parts["audit"].GetProperty("erased").GetProperty("auditEntriesErased").GetInt64() >= 1);
        Assert.All(parts.Values, p => Assert.Equal(0, p.GetProperty("heldCount").GetInt64()));

        // The person is gone from the organization, their key no longer works, and their audit entries keep only what the chain hashes in clear.
        using (var members = await organization.Owner.Browser.GetAsync($"/v1/organizations/{organization.Id}/members"))
            Assert.DoesNotContain(subjectId, await members.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using (var keys = fixture.App.KeysAdministrator())
        {
            var key = await keys.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization.Id}/keys/{keyId}");
            Assert.Equal("erased-subject", key.GetProperty("createdBy").GetString());
            Assert.NotEqual(JsonValueKind.Null, key.GetProperty("revokedAt").ValueKind);
        }

        var erasedEntry = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=key.created&actor={subjectId}");
        Assert.Equal(JsonValueKind.Null, erasedEntry.GetProperty("target").ValueKind);
        Assert.Equal(JsonValueKind.Null, erasedEntry.GetProperty("ip").ValueKind);

        // The log still verifies offline after the erasure.
        await VerifyAuditBundleAsync(organization);

        // Under a hold on the audit log's class, the second person's entries stay (listed); the rest of them is erased.
        using (var hold = await api.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "audit_log", reason = "Regulator's inquiry" }))
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        var heldErasure = await JsonAsync(await api.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "erasure", userId = heldId }), HttpStatusCode.Created);
        var (heldReceipt, _) = await ReceiptAsync(api, heldErasure.GetProperty("id").GetString()!);
        var heldParts = heldReceipt.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("participant").GetString()!);
        Assert.Contains("audit_log", heldReceipt.GetProperty("holds").GetProperty("dataClasses").EnumerateArray().Select(c => c.GetString()));
        Assert.True(heldParts["audit"].GetProperty("heldCount").GetInt64() >= 1);
        Assert.Contains(heldParts["audit"].GetProperty("held").EnumerateArray(), h => h.GetProperty("reason").GetString() == "legal hold on data class audit_log");
        Assert.Equal(0, heldParts["audit"].GetProperty("erased").GetProperty("auditEntriesErased").GetInt64());
        Assert.Equal(1, heldParts["identity"].GetProperty("erased").GetProperty("memberships").GetInt64());
        Assert.Equal(1, heldParts["keys"].GetProperty("erased").GetProperty("apiKeysRevoked").GetInt64());
        var heldEntry = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=key.created&target={heldKeyId}");
        Assert.Equal(heldKeyId, heldEntry.GetProperty("target").GetString());
    }

    /// <summary>
    /// The subject creates an API key through the gateway and uploads one object with it (<paramref name="content"/>, or a
    /// small annotation) into a new dataset in <paramref name="region"/>; the key's and object's ids.
    /// </summary>
    private async Task<(string KeyId, string ObjectId)> KeyAndUploadAsync(RetentionOrganization organization, string subjectToken, string region = "us", byte[]? content = null)
    {
        using var subjectApi = organization.Api(subjectToken);
        var key = await JsonAsync(await subjectApi.PostAsJsonAsync($"/v1/organizations/{organization.Id}/keys",
            new { name = "subject's", environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } } }), HttpStatusCode.Created);
        using var data = fixture.App.CreateHttpClient("gateway");
        data.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key.GetProperty("key").GetString());
        using var create = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{organization.Id}/datasets") { Content = JsonContent.Create(new { name = "uploads" }) };
        create.Headers.TryAddWithoutValidation("Platform-Region", region);
        var dataset = await JsonAsync(await data.SendAsync(create), HttpStatusCode.Created);
        Assert.Equal(region, dataset.GetProperty("region").GetString());
        var put = await JsonAsync(await data.PutAsync($"/v1/organizations/{organization.Id}/datasets/{dataset.GetProperty("id").GetString()}/objects/a.json?dataClass=annotation",
            new ByteArrayContent(content ?? "{\"boxes\":[]}"u8.ToArray())), HttpStatusCode.Created);
        return (key.GetProperty("id").GetString()!, put.GetProperty("id").GetString()!);
    }

    private async Task VerifyAuditBundleAsync(RetentionOrganization organization)
    {
        var auditToken = await organization.Owner.AccessTokenAsync(organization.Client, "openid platform.audit");
        using var auditApi = organization.Api(auditToken);
        var key = (await auditApi.GetFromJsonAsync<JsonElement>("/v1/audit/checkpoint-keys")).GetProperty("current").GetString()!;
        var directory = Directory.CreateTempSubdirectory("dsar-audit-").FullName;
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, auditToken);
        var bundle = Path.Combine(directory, "bundle.ndjson");
        // A checkpoint signed after the erasure (every 2 s here) covers the erased entries.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var (exit, output, error) = await PlatformctlAsync(["audit", "bundle", "--gateway", fixture.App.GetEndpoint("gateway").ToString(), "--token-file", tokenFile, "--output", bundle]);
        Assert.True(exit == 0, output + error);
        Assert.Contains("\"erased\":{", await File.ReadAllTextAsync(bundle));
        (exit, output, error) = await PlatformctlAsync(["audit", "verify", bundle, "--key", key]);
        Assert.True(exit == 0, output + error);
        Assert.Contains($"Verified: platform.dev/audit/{organization.Id}", output);
    }

    private async Task<(int Exit, string Output, string Error)> PlatformctlAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Platform.Ctl.PlatformCli.RunAsync(args, output, error, ClientAddresses.Handler(fixture, ClientAddresses.Fresh()));
        return (exit, output.ToString(), error.ToString());
    }

    private static async Task<JsonElement> CompletedAsync(HttpClient api, string id)
    {
        var since = Stopwatch.StartNew();
        while (true)
        {
            var request = await api.GetFromJsonAsync<JsonElement>($"/v1/retention/subject-requests/{id}");
            if (request.GetProperty("status").GetString() == "completed") return request;
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(60), $"Not completed within 60 s: {request}");
            await Task.Delay(250);
        }
    }

    /// <summary>Waits for the erasure to complete, then checks its receipt's signature.</summary>
    private static async Task<(JsonElement Receipt, JsonElement Request)> ReceiptAsync(HttpClient api, string id)
    {
        var request = await CompletedAsync(api, id);
        var text = request.GetProperty("receipt").GetString()!;
        var verifier = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromBase64String(request.GetProperty("verifierKey").GetString()!), KeyBlobFormat.RawPublicKey);
        var signature = Convert.FromBase64String(request.GetProperty("signature").GetString()!);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text), signature));
        Assert.False(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text.Replace("\"heldCount\":0", "\"heldCount\":1")), signature));
        var receipt = JsonDocument.Parse(text).RootElement.Clone();
        Assert.Equal(id, receipt.GetProperty("requestId").GetString());
        return (receipt, request);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var body = await JsonAsync(response, status);
        Assert.Equal(Problems + slug, body.GetProperty("type").GetString());
    }
}
