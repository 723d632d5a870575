using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// Issue 16 item 2, first slice, end to end on the real clock: an owner sets zero retention for detection results
/// and holds one dataset; retention's scheduler finds the expired objects, storage deletes the unheld one (its bytes
/// are gone through the gateway), and the signed receipt and audit entry appear; the held one expired too and has its
/// signed "skipped: legal hold" receipt and audit entry. The fixture purges detection results
/// only, 5 s after storing under a zero policy.
/// </summary>
[Collection(Collections.Retention)]
public sealed class PurgeThroughPlatformTests(PlatformFixture fixture)
{
    [Fact]
    public async Task Zero_retention_detection_results_are_deleted_by_storage_with_a_signed_receipt_except_under_a_legal_hold()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        using var api = organization.Api();
        using (var zero = await api.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 0 })) Assert.Equal(HttpStatusCode.OK, zero.StatusCode);

        var key = (await fixture.App.CreateApiKeyAsync(organization.Id, "full")).GetProperty("key").GetString()!;
        using var data = fixture.App.CreateHttpClient("gateway");
        data.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        var open = await DatasetAsync(data, organization.Id);
        var held = await DatasetAsync(data, organization.Id);
        string holdId;
        using (var hold = await api.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = held, reason = "Litigation" }))
        {
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
            holdId = (await hold.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        }

        var expiring = await PutAsync(data, organization.Id, open, "results/1.json", "detection_result");
        var kept = await PutAsync(data, organization.Id, held, "results/1.json", "detection_result");
        await PutAsync(data, organization.Id, open, "weights.bin", "model_weights");

        // The receipt arrives once the scheduler (every second) has found it expired (5 s) and storage has answered.
        var since = Stopwatch.StartNew();
        JsonElement receipts;
        do
        {
            await Task.Delay(500);
            receipts = await api.GetFromJsonAsync<JsonElement>("/v1/retention/receipts");
        }
        while (receipts.GetProperty("items").EnumerateArray().Count() < 2 && since.Elapsed < TimeSpan.FromSeconds(60));

        var signed = Assert.Single(receipts.GetProperty("items").EnumerateArray(), r => r.GetProperty("kind").GetString() == "deleted");
        var text = signed.GetProperty("receipt").GetString()!;
        var receipt = JsonDocument.Parse(text).RootElement;
        Assert.Equal(expiring, receipt.GetProperty("itemId").GetString());
        Assert.Equal("detection_result", receipt.GetProperty("dataClass").GetString());
        Assert.Equal(open, receipt.GetProperty("datasetId").GetString());
        Assert.Contains("0 days", receipt.GetProperty("policy").GetString());
        Assert.StartsWith($"object data key of {expiring}", receipt.GetProperty("destroyedKey").GetString());
        var verifier = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromBase64String(receipts.GetProperty("verifierKey").GetString()!), KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(text), Convert.FromBase64String(signed.GetProperty("signature").GetString()!)));

        Assert.Equal(HttpStatusCode.NotFound, (await data.GetAsync($"/v1/organizations/{organization.Id}/datasets/{open}/objects/results/1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await data.GetAsync($"/v1/organizations/{organization.Id}/datasets/{held}/objects/results/1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await data.GetAsync($"/v1/organizations/{organization.Id}/datasets/{open}/objects/weights.bin")).StatusCode);
        Assert.NotEqual(expiring, kept);

        var audit = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=retention.item.purged&target={expiring}");
        Assert.Equal("retention:purge", audit.GetProperty("actor").GetString());

        // The held result expired too: one signed receipt says it was skipped and why, and the audit log has it.
        var skipped = Assert.Single(receipts.GetProperty("items").EnumerateArray(), r => r.GetProperty("kind").GetString() == "skipped");
        var skippedText = skipped.GetProperty("receipt").GetString()!;
        Assert.True(SignatureAlgorithm.Ed25519.Verify(verifier, Encoding.UTF8.GetBytes(skippedText), Convert.FromBase64String(skipped.GetProperty("signature").GetString()!)));
        var skip = JsonDocument.Parse(skippedText).RootElement;
        Assert.Equal(kept, skip.GetProperty("itemId").GetString());
        Assert.Equal($"legal hold {holdId}", skip.GetProperty("skipped").GetString());
        var skippedAudit = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=retention.item.skipped&target={kept}");
        Assert.Equal(holdId, skippedAudit.GetProperty("details").GetProperty("holdId").GetString());
    }

    private static async Task<string> DatasetAsync(HttpClient client, string organization)
    {
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "results" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<string> PutAsync(HttpClient client, string organization, string dataset, string name, string dataClass)
    {
        using var put = await client.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/{name}?dataClass={dataClass}", new ByteArrayContent("{\"boxes\":[]}"u8.ToArray()));
        Assert.True(put.IsSuccessStatusCode, $"upload: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        return (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
