using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Platform.IntegrationTests.Retention;

namespace Platform.IntegrationTests.Residency;

/// <summary>
/// Issue 17 item 6 end to end: every region's storage answers residency's inventory of the organization from its own
/// database and blob root; an Owner scans with platformctl through the gateway and an operator directly; a copy of a
/// pinned object's ciphertext put under another region's blob root, and its dataset and object rows put in that
/// region's database, are found and named (region, path or row, dataset, object); the signed report verifies offline
/// with platformctl and with node's own crypto; another organization's Owner gets no report of this one.
/// </summary>
[Collection(Collections.ResidencyAndAudit)]
public sealed class LeakScanThroughPlatformTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task A_scan_finds_a_copied_ciphertext_and_rows_in_another_region_names_them_and_its_signature_verifies_offline()
    {
        var victim = await RetentionOrganization.CreateAsync(fixture);
        var key = (await app.CreateApiKeyAsync(victim.Id, "full")).GetProperty("key").GetString()!;
        using var keyClient = app.CreateHttpClient("gateway");
        keyClient.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        using var created = await keyClient.PostAsJsonAsync($"/v1/organizations/{victim.Id}/datasets", new { name = "scans" });
        var datasetId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.StartsWith("ds_us_", datasetId);
        using (var put = await keyClient.PutAsync($"/v1/organizations/{victim.Id}/datasets/{datasetId}/objects/scan.png?dataClass=image", new ByteArrayContent("pinned to us"u8.ToArray())))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var objectId = await ScalarAsync<string>("storageusdb", "SELECT id FROM objects WHERE dataset_id = $1", datasetId);
        var directory = Directory.CreateTempSubdirectory("residency-scan-").FullName;
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, victim.OwnerToken);
        var gateway = app.GetEndpoint("gateway").ToString();
        using var owner = victim.Api();
        var verifierKey = (await owner.GetFromJsonAsync<JsonElement>("/v1/residency/report-keys")).GetProperty("keys")[0].GetString()!;

        // Where it belongs: a clean report, verified offline.
        var cleanReport = Path.Combine(directory, "clean.note");
        var (exit, output, error) = await PlatformctlAsync(["residency", "scan", "--gateway", gateway, "--token-file", tokenFile, "--output", cleanReport], Gateway());
        Assert.True(exit == 0, output + error);
        (exit, output, error) = await PlatformctlAsync(["residency", "verify", cleanReport, "--key", verifierKey]);
        Assert.True(exit == 0, output + error);
        Assert.Contains("Nothing of the organization is outside its region.", output);
        var clean = Report(await File.ReadAllTextAsync(cleanReport));
        var us = clean.GetProperty("regions").EnumerateArray().Single(r => r.GetProperty("region").GetString() == "us");
        Assert.Equal((1, 1, 1), (us.GetProperty("datasets").GetInt32(), us.GetProperty("objects").GetInt32(), us.GetProperty("blobs").GetInt32()));

        // A leak: the object's ciphertext copied under eu's blob root, and its dataset and object rows in eu's database.
        var separator = Path.DirectorySeparatorChar;
        var usFile = Directory.EnumerateFiles(app.StateDirectory, objectId, SearchOption.AllDirectories).Single();
        var euFile = usFile.Replace($"{separator}storage-us{separator}blobs{separator}us{separator}", $"{separator}storage-eu{separator}blobs{separator}eu{separator}", StringComparison.Ordinal);
        Assert.NotEqual(usFile, euFile);
        Directory.CreateDirectory(Path.GetDirectoryName(euFile)!);
        File.Copy(usFile, euFile);
        await ExecuteAsync("storageeudb", "INSERT INTO datasets (id, organization_id, region, name, created_at, created_by) VALUES ($1, $2, 'us', 'planted', now(), 'test')", datasetId, victim.Id);
        var row = await ObjectRowAsync(objectId);
        await ExecuteAsync("storageeudb", """
            INSERT INTO objects (id, dataset_id, organization_id, name, data_class, size, content_type, key_version, wrapped_dek, blob_key, created_at, created_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), 'test')
            """, row);
        try
        {
            // An operator scans the organization directly at the residency service, with platformctl.
            await File.WriteAllTextAsync(tokenFile, app.GetParameterValue("residency-operator-token"));
            var leakReport = Path.Combine(directory, "leak.note");
            (exit, output, error) = await PlatformctlAsync(["residency", "scan", "--gateway", app.GetEndpoint("residency", "http").ToString(), "--token-file", tokenFile,
                "--organization", victim.Id, "--output", leakReport]);
            Assert.True(exit == 0, output + error);
            (exit, output, error) = await PlatformctlAsync(["residency", "verify", leakReport, "--key", verifierKey]);
            Assert.True(exit == 4, output + error);
            Assert.Contains($"LEAK blob in eu at {victim.Id}/{datasetId}/{objectId}: dataset {datasetId}, object {objectId}, pinned to us", output);

            // The independent verifier (node's crypto) agrees, and names all three.
            var note = await File.ReadAllTextAsync(leakReport);
            var (verified, verdict) = await NodeVerifyAsync([verifierKey], note);
            Assert.True(verified, verdict);
            var leaks = JsonDocument.Parse(verdict).RootElement.GetProperty("leaks").EnumerateArray()
                .Select(l => (l.GetProperty("kind").GetString(), l.GetProperty("region").GetString(), l.GetProperty("location").GetString(),
                    l.GetProperty("datasetId").GetString(), l.GetProperty("objectId").GetString(), l.GetProperty("pinnedRegion").GetString()))
                .Order().ToList();
            Assert.Equal(
            [
                ("blob", "eu", $"{victim.Id}/{datasetId}/{objectId}", datasetId, objectId, "us"),
                ("dataset-row", "eu", $"datasets/{datasetId}", datasetId, null, "us"),
                ("object-row", "eu", $"objects/{objectId}", datasetId, objectId, "us"),
            ], leaks);
            Assert.False((await NodeVerifyAsync([verifierKey], note.Replace("\"clean\":false", "\"clean\":true", StringComparison.Ordinal))).Verified);
            var audited = await app.AuditEntryAsync($"organization={victim.Id}&action=residency.scanned&actor=operator:operator");
            Assert.Equal("3", audited.GetProperty("details").GetProperty("leaks").GetString());
        }
        finally
        {
            File.Delete(euFile);
            await ExecuteAsync("storageeudb", "DELETE FROM objects WHERE id = $1", objectId);
            await ExecuteAsync("storageeudb", "DELETE FROM datasets WHERE id = $1", datasetId);
        }

        // Another organization's Owner, through the gateway, asking for this organization's report: 403, no file.
        var stranger = await RetentionOrganization.CreateAsync(fixture);
        await File.WriteAllTextAsync(tokenFile, stranger.OwnerToken);
        var stolen = Path.Combine(directory, "stolen.note");
        (exit, _, error) = await PlatformctlAsync(["residency", "scan", "--gateway", gateway, "--token-file", tokenFile, "--organization", victim.Id, "--output", stolen], Gateway());
        Assert.Equal(3, exit);
        Assert.Contains("403", error);
        Assert.False(File.Exists(stolen));
        var refused = await app.AuditEntryAsync($"organization={stranger.Id}&action=request.refused&target=/v1/residency/scan");
        Assert.Equal(stranger.OwnerUserId, refused.GetProperty("actor").GetString());
        // An API key of the organization is no credential for a scan either.
        var byKey = (await keyClient.GetAsync("/v1/residency/scan")).StatusCode;
        Assert.True(byKey is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"{(int)byKey}");
        Directory.Delete(directory, recursive: true);
    }

    private SocketsHttpHandler Gateway() => Security.ClientAddresses.Handler(fixture, Security.ClientAddresses.Fresh());

    private static JsonElement Report(string note) => JsonDocument.Parse(note.Split('\n')[1]).RootElement;

    private static async Task<(int Exit, string Output, string Error)> PlatformctlAsync(string[] args, HttpMessageHandler? handler = null)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await Platform.Ctl.PlatformCli.RunAsync(args, output, error, handler);
        return (exit, output.ToString(), error.ToString());
    }

    internal static async Task<(bool Verified, string Output)> NodeVerifyAsync(string[] keys, string note)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "node", "verify-report.mjs");
        using var node = Process.Start(new ProcessStartInfo("node", [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true })!;
        await node.StandardInput.WriteAsync(JsonSerializer.Serialize(new { keys, note }));
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync() + await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode == 0, output);
    }

    private async Task<object[]> ObjectRowAsync(string objectId)
    {
        await using var connection = new NpgsqlConnection(app.GetConnectionString("storageusdb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, dataset_id, organization_id, name, data_class, size, content_type, key_version, wrapped_dek, blob_key FROM objects WHERE id = $1", connection);
        command.Parameters.Add(new() { Value = objectId });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var values = new object[reader.FieldCount];
        reader.GetValues(values);
        return values;
    }

    private async Task<T> ScalarAsync<T>(string database, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(app.GetConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new() { Value = value });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private async Task ExecuteAsync(string database, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(app.GetConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync();
    }
}
