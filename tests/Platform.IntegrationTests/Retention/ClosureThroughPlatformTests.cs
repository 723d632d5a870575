using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// Issue 16 item 5, account closure end to end through the gateway over HTTPS: an Owner with a fresh second factor
/// closes the organization; it is read-only (storage and keys refuse changes, reads go on) for the grace period (20 s
/// in the fixture), then every service deletes what no legal hold covers, the organization key is destroyed when
/// nothing held needs it, and one signed receipt lists what each service deleted and what was held.
/// </summary>
[Collection(Collections.Retention)]
public sealed class ClosureThroughPlatformTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Fact]
    public async Task An_owner_closes_the_organization_it_is_read_only_then_everything_unheld_is_deleted_with_one_signed_receipt()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        using var api = organization.Api();
        var key = (await fixture.App.CreateApiKeyAsync(organization.Id, "full")).GetProperty("key").GetString()!;
        using var data = DataClient(key);
        var open = await DatasetAsync(data, organization.Id);
        var held = await DatasetAsync(data, organization.Id);
        var deletedObject = await PutAsync(data, organization.Id, open, "a.json");
        var heldObject = await PutAsync(data, organization.Id, held, "b.json");
        using (var hold = await api.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = held, reason = "Litigation" })) Assert.Equal(HttpStatusCode.Created, hold.StatusCode);

        // Bad input first: an Admin (403), an Owner without a recent second factor (401 step-up); nothing is closing.
        using (var admin = organization.Api(await organization.MemberTokenAsync("Admin")))
        using (var refused = await admin.PostAsync("/v1/retention/closure", null))
        {
            await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "insufficient-role");
        }

        using (var owner = organization.Api(await organization.MemberTokenAsync("Owner")))
        using (var refused = await owner.PostAsync("/v1/retention/closure", null))
        {
            await AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "step-up-required");
        }

        using (var none = await api.GetAsync("/v1/retention/closure")) await AssertProblemAsync(none, HttpStatusCode.NotFound, "no-closure");
        Assert.Equal(HttpStatusCode.Created, (await PutResponseAsync(data, organization.Id, open, "still-writable.json")).StatusCode);

        var closure = await CloseAsync(api);
        using (var twice = await api.PostAsync("/v1/retention/closure", null)) await AssertProblemAsync(twice, HttpStatusCode.Conflict, "organization-closing");
        // Identity's organization settings (here: invitations) and retention's own policies are read-only too.
        await EventuallyAsync(async () =>
        {
            using var invite = await organization.Owner.Browser.PostAsJsonAsync($"/v1/organizations/{organization.Id}/invitations", new { email = $"late-{Guid.NewGuid():n}@example.com", role = "Admin" });
            return invite.StatusCode == HttpStatusCode.Conflict
                && (await invite.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString() == Problems + "organization-closing";
        }, "invitations refused");
        using (var policy = await api.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 10 })) await AssertProblemAsync(policy, HttpStatusCode.Conflict, "organization-closing");

        // Read-only: uploads and new keys are refused (once the services have heard of it), reads go on.
        await EventuallyAsync(async () => (await PutResponseAsync(data, organization.Id, open, "late.json")).StatusCode == HttpStatusCode.Conflict, "uploads refused");
        await AssertProblemAsync(await PutResponseAsync(data, organization.Id, open, "late.json"), HttpStatusCode.Conflict, "organization-closing");
        using (var keys = fixture.App.KeysAdministrator())
        using (var newKey = await keys.PostAsJsonAsync($"/v1/organizations/{organization.Id}/keys", new { name = "late", environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } } }))
        {
            await AssertProblemAsync(newKey, HttpStatusCode.Conflict, "organization-closing");
        }

        Assert.Equal(HttpStatusCode.OK, (await data.GetAsync($"/v1/organizations/{organization.Id}/datasets/{open}/objects/a.json")).StatusCode);
        // a.json, still-writable.json, and late.json if a probe got in before storage heard of the closure.
        var openObjects = await CountAsync(data, organization.Id, open);
        Assert.InRange(openObjects, 2, 3);
        var status = await api.GetFromJsonAsync<JsonElement>("/v1/retention/closure");
        Assert.Equal("pending", status.GetProperty("status").GetString());

        var (receipt, closed) = await ClosedReceiptAsync(api, closure);
        Assert.Equal(organization.Id, receipt.GetProperty("organizationId").GetString());
        var services = receipt.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("participant").GetString()!);
        Assert.Equal(["identity", "keys", "retention", "storage-eu", "storage-us"], services.Keys.Order().ToArray());
        var us = services["storage-us"];
        Assert.Equal(openObjects, us.GetProperty("deleted").GetProperty("objects").GetInt64());
        Assert.Equal(1, us.GetProperty("deleted").GetProperty("datasets").GetInt64());
        var heldItems = us.GetProperty("held").EnumerateArray().Select(h => (Kind: h.GetProperty("kind").GetString(), Id: h.GetProperty("id").GetString())).ToList();
        Assert.Contains(("object", heldObject), heldItems);
        Assert.Contains(("dataset", held), heldItems);
        Assert.Contains(("organization-key", organization.Id), heldItems);
        Assert.DoesNotContain(heldItems, h => h.Id == deletedObject);
        Assert.Equal(JsonValueKind.Null, us.GetProperty("destroyedKey").ValueKind);
        Assert.Equal(1, services["keys"].GetProperty("deleted").GetProperty("apiKeys").GetInt64());
        Assert.Equal(3, services["identity"].GetProperty("deleted").GetProperty("memberships").GetInt64());
        // The console client the Owner registered is gone with the organization.
        Assert.Equal(1, services["identity"].GetProperty("deleted").GetProperty("oauthClients").GetInt64());
        // Held items counted in full, beside the list (at most 1,000).
        Assert.Equal(heldItems.Count, us.GetProperty("deleted").GetProperty("heldItems").GetInt64());
        Assert.Contains(receipt.GetProperty("kept").EnumerateArray(), k => k.GetProperty("dataClass").GetString() == "billing_record");

        // Too late to cancel; the key is gone at the gateway; the closure is in the audit log.
        using (var cancel = await api.DeleteAsync("/v1/retention/closure")) await AssertProblemAsync(cancel, HttpStatusCode.Conflict, "closure-grace-over");
        Assert.Equal("closed", (await api.GetFromJsonAsync<JsonElement>("/v1/retention/closure")).GetProperty("status").GetString());
        await EventuallyAsync(async () => (await data.GetAsync($"/v1/organizations/{organization.Id}/datasets/{held}/objects/b.json")).StatusCode == HttpStatusCode.Unauthorized, "the key refused");
        var audit = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=organization.closed&target={closure}");
        Assert.Equal(closed.GetProperty("signature").GetString(), audit.GetProperty("details").GetProperty("receiptSignature").GetString());
    }

    [Fact]
    public async Task A_closure_is_cancelled_within_the_grace_period_another_owner_cannot_touch_it_and_a_second_one_shreds_the_key()
    {
        var victim = await RetentionOrganization.CreateAsync(fixture);
        var attacker = await RetentionOrganization.CreateAsync(fixture);
        using var api = victim.Api();
        using var attackerApi = attacker.Api();
        var key = (await fixture.App.CreateApiKeyAsync(victim.Id, "full")).GetProperty("key").GetString()!;
        using var data = DataClient(key);
        var dataset = await DatasetAsync(data, victim.Id);
        await PutAsync(data, victim.Id, dataset, "a.json");

        var first = await CloseAsync(api);
        await EventuallyAsync(async () => (await PutResponseAsync(data, victim.Id, dataset, "late.json")).StatusCode == HttpStatusCode.Conflict, "uploads refused");

        // The attacker's Owner names the victim every way it can: the closure is always the token's organization's.
        using (var forged = new HttpRequestMessage(HttpMethod.Delete, $"/v1/retention/closure?organization={victim.Id}"))
        {
            forged.Headers.TryAddWithoutValidation("X-Platform-Organization", victim.Id);
            using var response = await attackerApi.SendAsync(forged);
            await AssertProblemAsync(response, HttpStatusCode.NotFound, "no-closure");
        }

        using (var read = await attackerApi.GetAsync($"/v1/retention/closure?organization={victim.Id}")) await AssertProblemAsync(read, HttpStatusCode.NotFound, "no-closure");
        using (var victimData = DataClient((await fixture.App.CreateApiKeyAsync(attacker.Id, "full")).GetProperty("key").GetString()!))
        using (var upload = await victimData.PutAsync($"/v1/organizations/{victim.Id}/datasets/{dataset}/objects/x.json", new ByteArrayContent("{}"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        }

        Assert.Equal("pending", (await api.GetFromJsonAsync<JsonElement>("/v1/retention/closure")).GetProperty("status").GetString());

        // The victim's Owner cancels within the grace period: writable again.
        using (var cancel = await api.DeleteAsync("/v1/retention/closure"))
        {
            var body = await JsonAsync(cancel, HttpStatusCode.OK);
            Assert.Equal("cancelled", body.GetProperty("status").GetString());
            Assert.Equal(first, body.GetProperty("closureId").GetString());
        }

        using (var again = await api.DeleteAsync("/v1/retention/closure")) await AssertProblemAsync(again, HttpStatusCode.NotFound, "no-closure");
        await EventuallyAsync(async () => (await PutResponseAsync(data, victim.Id, dataset, "after-cancel.json")).StatusCode == HttpStatusCode.Created, "uploads accepted again");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal("cancelled", (await api.GetFromJsonAsync<JsonElement>("/v1/retention/closure")).GetProperty("status").GetString());

        // Closed again, with no hold: everything goes, and the organization key is destroyed.
        var stored = await CountAsync(data, victim.Id, dataset);
        var second = await CloseAsync(api);
        Assert.NotEqual(first, second);
        var (receipt, _) = await ClosedReceiptAsync(api, second);
        var us = receipt.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("participant").GetString() == "storage-us");
        Assert.Equal(stored, us.GetProperty("deleted").GetProperty("objects").GetInt64());
        Assert.Empty(us.GetProperty("held").EnumerateArray());
        Assert.Contains("destroyed", us.GetProperty("destroyedKey").GetString());

        // The attacker's organization was never touched.
        using (var own = await attackerApi.GetAsync("/v1/retention/closure")) await AssertProblemAsync(own, HttpStatusCode.NotFound, "no-closure");
    }

    private static async Task<string> CloseAsync(HttpClient api)
    {
        using var close = await api.PostAsync("/v1/retention/closure", null);
        var body = await JsonAsync(close, HttpStatusCode.Accepted);
        Assert.Equal("pending", body.GetProperty("status").GetString());
        var grace = body.GetProperty("graceEndsAt").GetDateTimeOffset() - body.GetProperty("requestedAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromSeconds(20), grace);
        return body.GetProperty("closureId").GetString()!;
    }

    /// <summary>Waits for the closure to be closed, then checks the receipt's signature with the verifier key.</summary>
    private static async Task<(JsonElement Receipt, JsonElement Closure)> ClosedReceiptAsync(HttpClient api, string closureId)
    {
        var since = Stopwatch.StartNew();
        JsonElement closure;
        do
        {
            await Task.Delay(1000);
            closure = await api.GetFromJsonAsync<JsonElement>("/v1/retention/closure");
        }
        while (closure.GetProperty("status").GetString() != "closed" && since.Elapsed < TimeSpan.FromSeconds(90));

        Assert.Equal("closed", closure.GetProperty("status").GetString());
        Assert.Equal(closureId, closure.GetProperty("closureId").GetString());
        var text = closure.GetProperty("receipt").GetString()!;
        var verifier = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromBase64String(closure.GetProperty("verifierKey").GetString()!), KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text), Convert.FromBase64String(closure.GetProperty("signature").GetString()!)));
        Assert.False(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text.Replace("\"objects\":", "\"objects\": ")), Convert.FromBase64String(closure.GetProperty("signature").GetString()!)));
        var receipt = JsonDocument.Parse(text).RootElement;
        Assert.Equal(closureId, receipt.GetProperty("closureId").GetString());
        return (receipt, closure);
    }

    private HttpClient DataClient(string key)
    {
        var client = fixture.App.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        return client;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var since = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(15), $"Not within 15 s: {what}.");
            await Task.Delay(250);
        }
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

    private static async Task<int> CountAsync(HttpClient client, string organization, string dataset)
    {
        using var list = await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects");
        return (await JsonAsync(list, HttpStatusCode.OK)).GetProperty("items").GetArrayLength();
    }

    private static async Task<string> DatasetAsync(HttpClient client, string organization)
    {
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "closing" });
        return (await JsonAsync(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
    }

    private static Task<HttpResponseMessage> PutResponseAsync(HttpClient client, string organization, string dataset, string name) =>
        client.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/{name}?dataClass=annotation", new ByteArrayContent("{\"boxes\":[]}"u8.ToArray()));

    private static async Task<string> PutAsync(HttpClient client, string organization, string dataset, string name)
    {
        using var put = await PutResponseAsync(client, organization, dataset, name);
        Assert.True(put.IsSuccessStatusCode, $"upload: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
