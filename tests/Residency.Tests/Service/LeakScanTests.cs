using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Residency.Tests.Infrastructure;

namespace Platform.Residency.Tests.Service;

/// <summary>
/// Issue 17 item 6 at the service: the leak scan asks every region's storage for its inventory of the organization and
/// answers a signed report that names everything found outside its region (a dataset row in another region's database,
/// a copy of an object's ciphertext under another region's blob root, under its own name or any other), which a
/// verifier written with node's own crypto accepts, and rejects once altered. Only the organization's Owners and Admins,
/// or an operator, scan it; the real storages answer end to end in Platform.IntegrationTests.
/// </summary>
[Collection(ResidencyServiceCollection.Name)]
public sealed class LeakScanTests(ResidencyServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private const string Sha = "5f2b0c7d0a9e4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private string DatasetUs => "ds_us_0190a1b2c3d4e5f60718293a4b5c6d7e";

    private string ObjectUs => "obj_us_0190a1b2c3d4e5f60718293a4b5c6d7f";

    private void LegitimateUsData()
    {
        var key = $"{organization}/{DatasetUs}/{ObjectUs}";
        fixture.Storage.SetInventory("us", organization,
            new[] { new { id = DatasetUs, region = "us", environment = "live" } },
            new[] { new { id = ObjectUs, datasetId = DatasetUs, size = 1234L, blobKey = key } },
            new[] { new { path = key, size = 1290L, sha256 = Sha } });
    }

    [Fact]
    public async Task A_scan_names_a_dataset_row_and_copies_of_ciphertext_in_another_region_and_its_signature_verifies_independently()
    {
        LegitimateUsData();
        fixture.Storage.SetInventory("eu", organization,
            new[] { new { id = DatasetUs, region = "us", environment = "live" } },
            Array.Empty<object>(),
            new[]
            {
                new { path = $"{organization}/{DatasetUs}/{ObjectUs}", size = 1290L, sha256 = Sha },
                new { path = $"{organization}/stash/copy.bin", size = 1290L, sha256 = Sha },
            });
        using var owner = fixture.UserClient(organization, ["Owner"], mfa: false);
        using var response = await owner.GetAsync("/v1/residency/scan");
        var note = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, note);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);

        var keys = (await fixture.Client(null).GetFromJsonAsync<JsonElement>("/v1/residency/report-keys")).GetProperty("keys");
        var (verified, output) = await NodeVerifyAsync(keys, note);
        Assert.True(verified, output);
        var verdict = JsonDocument.Parse(output).RootElement;
        Assert.Equal(organization, verdict.GetProperty("organizationId").GetString());
        Assert.False(verdict.GetProperty("clean").GetBoolean());
        var leaks = verdict.GetProperty("leaks").EnumerateArray()
            .Select(l => (l.GetProperty("kind").GetString(), l.GetProperty("region").GetString(), l.GetProperty("location").GetString(),
                l.GetProperty("datasetId").GetString(), l.GetProperty("objectId").GetString(), l.GetProperty("pinnedRegion").GetString()))
            .Order().ToList();
        Assert.Equal(
        [
            ("blob", "eu", $"{organization}/{DatasetUs}/{ObjectUs}", DatasetUs, ObjectUs, "us"),
            ("blob", "eu", $"{organization}/stash/copy.bin", DatasetUs, ObjectUs, "us"),
            ("dataset-row", "eu", $"datasets/{DatasetUs}", DatasetUs, null, "us"),
        ], leaks);

        var report = JsonDocument.Parse(note.Split('\n')[1]).RootElement;
        var regions = report.GetProperty("regions").EnumerateArray().ToDictionary(r => r.GetProperty("region").GetString()!);
        Assert.Equal(["us", "eu", "apac"], regions.Keys);
        Assert.Equal(1, regions["us"].GetProperty("objects").GetInt32());
        Assert.Equal(0, regions["us"].GetProperty("leaks").GetInt32());
        Assert.Equal(3, regions["eu"].GetProperty("leaks").GetInt32());
        Assert.Equal(64, regions["apac"].GetProperty("inventorySha256").GetString()!.Length);

        // One altered character, or a key that is not the service's, and the independent verifier says no.
        Assert.False((await NodeVerifyAsync(keys, note.Replace("\"clean\":false", "\"clean\":true", StringComparison.Ordinal))).Verified);
        var otherKey = new Platform.Residency.Scans.ReportSigner(Microsoft.Extensions.Options.Options.Create(new ResidencyOptions
        {
            Reports = new ReportOptions { SigningKey = "someone-else-0123456789-0123456789-abcdef" },
        })).VerifierKey;
        Assert.False((await NodeVerifyAsync(JsonSerializer.SerializeToElement(new[] { otherKey }), note)).Verified);

        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "residency.scanned" && e.GetProperty("details").GetProperty("leaks").GetString() == "3");
    }

    [Fact]
    public async Task Data_where_it_belongs_scans_clean_and_a_single_region_organizations_data_elsewhere_does_not()
    {
        LegitimateUsData();
        using var admin = fixture.UserClient(organization, ["Admin"], mfa: false);
        var clean = await ReportAsync(await admin.GetAsync("/v1/residency/scan"));
        Assert.True(clean.GetProperty("clean").GetBoolean());
        Assert.Empty(clean.GetProperty("leaks").EnumerateArray());
        var dataset = Assert.Single(clean.GetProperty("datasets").EnumerateArray());
        Assert.Equal((DatasetUs, "us", "us", 1), (dataset.GetProperty("id").GetString(), dataset.GetProperty("pinnedRegion").GetString(),
            dataset.GetProperty("heldIn").GetString(), dataset.GetProperty("objects").GetInt32()));

        // Pinned to eu (the data in us being deleted meanwhile is not modelled: the report shows what is there now).
        fixture.Storage.SetInventory("us", organization, Array.Empty<object>(), Array.Empty<object>(), Array.Empty<object>());
        using (var owner = fixture.UserClient(organization, ["Owner"]))
        {
            Assert.Equal(HttpStatusCode.OK, (await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "eu" })).StatusCode);
        }

        LegitimateUsData();
        var pinned = await ReportAsync(await admin.GetAsync("/v1/residency/scan"));
        Assert.Equal("single-region", pinned.GetProperty("mode").GetString());
        Assert.False(pinned.GetProperty("clean").GetBoolean());
        Assert.Contains(pinned.GetProperty("leaks").EnumerateArray(), l => l.GetProperty("kind").GetString() == "dataset-row"
            && l.GetProperty("region").GetString() == "us" && l.GetProperty("pinnedRegion").GetString() == "eu");
    }

    [Fact]
    public async Task An_owner_cannot_scan_another_organization_nor_a_viewer_their_own_and_an_operator_names_one()
    {
        var other = $"org_{Guid.NewGuid():n}";
        using var owner = fixture.UserClient(organization, ["Owner"]);
        await ProblemAsync(await owner.GetAsync($"/v1/residency/scan?organization={other}"), HttpStatusCode.Forbidden, "forbidden");
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("actor").GetString() == "usr_residency_tests"
            && e.GetProperty("target").GetString() == "/v1/residency/scan");
        Assert.DoesNotContain(fixture.Storage.Requests, r => r.RequestUri!.AbsolutePath.Contains(other, StringComparison.Ordinal));

        await ProblemAsync(await fixture.UserClient(organization, ["Viewer"]).GetAsync("/v1/residency/scan"), HttpStatusCode.Forbidden, "insufficient-role");
        await ProblemAsync(await fixture.UserClient(organization, ["Owner"], scope: "platform.keys").GetAsync("/v1/residency/scan"), HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await fixture.Client(null).GetAsync("/v1/residency/scan"), HttpStatusCode.Unauthorized, "unauthenticated");
        // The gateway's reader credential reads residency, it does not scan.
        await ProblemAsync(await fixture.Client(ResidencyServiceFixture.GatewayToken).GetAsync($"/v1/residency/scan?organization={other}"), HttpStatusCode.Unauthorized, "unauthenticated");

        using var operatorClient = fixture.Client(ResidencyServiceFixture.OperatorToken);
        await ProblemAsync(await operatorClient.GetAsync("/v1/residency/scan"), HttpStatusCode.BadRequest, "invalid-request");
        var report = await ReportAsync(await operatorClient.GetAsync($"/v1/residency/scan?organization={other}"));
        Assert.Equal(other, report.GetProperty("organizationId").GetString());
        Assert.Equal("operator:operator", report.GetProperty("scannedBy").GetString());
    }

    [Fact]
    public async Task A_region_that_does_not_answer_fails_the_scan_rather_than_proving_less()
    {
        fixture.Storage.Down["apac"] = true;
        try
        {
            var problem = await ProblemAsync(await fixture.UserClient(organization, ["Owner"]).GetAsync("/v1/residency/scan"),
                HttpStatusCode.ServiceUnavailable, "region-storage-unavailable");
            Assert.Equal(["apac"], problem.GetProperty("regions").EnumerateArray().Select(r => r.GetString()));
        }
        finally
        {
            fixture.Storage.Down.TryRemove("apac", out _);
        }
    }

    private static async Task<JsonElement> ReportAsync(HttpResponseMessage response)
    {
        var note = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, note);
        var lines = note.Split('\n');
        Assert.Equal("platform.dev/residency-scan/v1", lines[0]);
        return JsonDocument.Parse(lines[1]).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(Problems + slug, problem.GetProperty("type").GetString());
        return problem;
    }

    internal static async Task<(bool Verified, string Output)> NodeVerifyAsync(JsonElement keys, string note)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "node", "verify-report.mjs");
        using var node = Process.Start(new ProcessStartInfo("node", [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(new { keys, note }));
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync() + await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode == 0, output);
    }
}
