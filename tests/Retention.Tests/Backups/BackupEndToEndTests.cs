extern alias storage;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Retention.Backups;

namespace Platform.Retention.Tests.Backups;

/// <summary>
/// Issue 16 item 3's test: back up, delete an item, move the clock past the deletion bound, restore the old backup (a copy
/// kept past its expiry) into a fresh instance — new databases, a new blob root, a storage started on them: the deleted
/// item's bytes and metadata cannot be read, because the only key version its data key was wrapped by was destroyed;
/// the item that was not deleted can, because it was rewrapped onto a live version, which the restore applies. The same
/// organization stored two customer secrets (keys, sealed by storage's transit keys, on the same key versions): the deleted
/// one cannot be read from the old backup either, while the kept one can — keys rewrapped it and reported the versions its
/// live secrets use, so the version the deleted one is under is destroyed on the same bound.
/// </summary>
[Collection(BackupCollection.Name)]
public sealed class BackupEndToEndTests(BackupFixture fixture)
{
    [Fact]
    public async Task A_deleted_item_is_gone_from_an_old_backup_restored_past_the_bound_while_kept_items_come_back()
    {
        var organization = $"org_bk{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        using var live = BackupFixture.Gateway(fixture.Storage, organization);
        var dataset = (await (await live.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "backups" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var keptBytes = RandomNumberGenerator.GetBytes(150_000);
        var deletedBytes = RandomNumberGenerator.GetBytes(5_000);
        var keptId = await UploadAsync(live, organization, dataset, "kept.bin", keptBytes);
        var deletedId = await UploadAsync(live, organization, dataset, "deleted-secret-name.bin", deletedBytes);
        using var secrets = fixture.KeysAdministrator();
        await StoreSecretAsync(secrets, organization, "kept-token", "hf_kept_0123456789");
        await StoreSecretAsync(secrets, organization, "deleted-token", "hf_deleted_0123456789");

        // Back up with platformctl; the manifest names the key version wrapping the organization's data keys.
        var (exit, output, error) = await fixture.CtlAsync(BackupFixture.RestorerToken, "backup", "create");
        Assert.True(exit == 0, error);
        var backupId = Regex.Match(output, "bk_[0-9]{8}T[0-9]{6}Z_[0-9a-f]{8}").Value;
        var setFolder = Path.Combine(fixture.BackupFolder, backupId);
        using (var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(setFolder, "manifest.json"))))
        {
            var storageEntry = manifest.RootElement.GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "storage-test");
            Assert.Equal([1], storageEntry.GetProperty("keyVersions").GetProperty(organization).EnumerateArray().Select(v => v.GetInt32()));
            Assert.All(manifest.RootElement.GetProperty("blobRoots")[0].GetProperty("blobs").EnumerateArray(), b => Assert.Equal(64, b.GetProperty("sha256").GetString()!.Length));
        }

        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "backup.created" && e.GetProperty("target").GetString() == backupId
            && e.GetProperty("actor").GetString() == "operator:backup-restorer");
        var keptCopy = fixture.ScratchFolder($"kept-copy-{backupId}");
        CopyFolder(setFolder, keptCopy);

        Assert.Equal(HttpStatusCode.NoContent, (await live.DeleteAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/deleted-secret-name.bin")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await secrets.DeleteAsync($"/v1/organizations/{organization}/secrets/deleted-token")).StatusCode);

        // The control: restored within the bound (version 1 still lives), the set brings the deleted item back — the bound
        // is what the promise allows, and it is the key's destruction, not the restore, that takes the item away later.
        var early = await RestoreAsync(backupId, "early");
        Assert.Equal(0, early.Exit);
        Assert.Contains("0 object(s) unrecoverable", early.Output);
        using (var earlyClient = BackupFixture.Gateway(fixture.StartRestoredStorage(early.Database, early.Blobs), organization))
        {
            Assert.Equal(deletedBytes, await earlyClient.GetByteArrayAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/deleted-secret-name.bin"));
        }

        // The deleted secret as the old backup holds it: within the bound, its version still opens it.
        var deletedSecret = await ScalarAsync<string>(early.Keys, "SELECT ciphertext FROM organization_secrets WHERE organization_id = $1 AND name = 'deleted-token'", organization);
        Assert.StartsWith("pvt:v1:", deletedSecret);
        using var transit = Transit(fixture.Storage);
        Assert.Equal("hf_deleted_0123456789", await DecryptAsync(transit, organization, "deleted-token", deletedSecret));

        // A key epoch later: version 2 is current, the kept object's data key moved onto it, version 1 wraps nothing live.
        await fixture.AdvanceAsync(TimeSpan.FromDays(8));
        await fixture.MaintainKeysAsync();
        Assert.Equal(2, await ScalarAsync<int>(fixture.StorageDb, "SELECT key_version FROM objects WHERE id = $1", keptId));
        Assert.False(await ScalarAsync<bool>(fixture.StorageDb, "SELECT wrapped_key IS NULL FROM organization_key_versions WHERE organization_id = $1 AND version = 1", organization));

        // Keys' pass: the live secret moves onto version 2, and keys reports that no live secret is under version 1 any more.
        Assert.Equal(1, await fixture.RewrapSecretsAsync());
        Assert.StartsWith("pvt:v2:", await ScalarAsync<string>(fixture.KeysDb, "SELECT ciphertext FROM organization_secrets WHERE organization_id = $1 AND name = 'kept-token'", organization));
        await fixture.MaintainKeysAsync();

        // Past the bound (30 days): every backup that could hold a key wrapped by version 1 has expired; version 1 is destroyed.
        await fixture.AdvanceAsync(TimeSpan.FromDays(22));
        // The expiry service's own timer on the fake clock may have got there first: either way the set is gone, and audited.
        await fixture.Retention.Services.GetRequiredService<BackupExpiryService>().RunOnceAsync(CancellationToken.None);
        Assert.False(Directory.Exists(setFolder));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "backup.deleted" && e.GetProperty("target").GetString() == backupId);
        await fixture.MaintainKeysAsync();
        Assert.True(await ScalarAsync<bool>(fixture.StorageDb, "SELECT wrapped_key IS NULL AND destroyed_at IS NOT NULL FROM organization_key_versions WHERE organization_id = $1 AND version = 1", organization));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "storage.key-version.destroyed"
            && e.GetProperty("organizationId").GetString() == organization);

        // Someone kept a copy of the expired set: it still verifies (it is intact), and restores into a fresh instance.
        CopyFolder(keptCopy, setFolder);
        var late = await RestoreAsync(backupId, "late");
        (exit, output, error) = (late.Exit, late.Output, late.Error);
        var (restoredDb, restoredBlobs) = (late.Database, late.Blobs);
        Assert.True(exit == 0, error);
        Assert.Contains($"{deletedId} (key-version-destroyed)", output);
        Assert.DoesNotContain(keptId, output);
        Assert.Contains("secret:deleted-token (key-version-destroyed)", output);
        Assert.DoesNotContain("kept-token", output);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "backup.restored" && e.GetProperty("target").GetString() == backupId);

        var restored = fixture.StartRestoredStorage(restoredDb, restoredBlobs);
        using var client = BackupFixture.Gateway(restored, organization);
        var kept = await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/kept.bin");
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        Assert.Equal(keptBytes, await kept.Content.ReadAsByteArrayAsync());

        // The deleted item: no bytes, no metadata (its name, size and type are not in the restored database) ...
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/deleted-secret-name.bin")).StatusCode);
        using (var head = new HttpRequestMessage(HttpMethod.Head, $"/v1/organizations/{organization}/datasets/{dataset}/objects/deleted-secret-name.bin"))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.SendAsync(head)).StatusCode);
        }

        var listing = await client.GetStringAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects");
        Assert.Contains("kept.bin", listing);
        Assert.DoesNotContain("deleted-secret-name", listing);
        Assert.Equal(0L, await ScalarAsync<long>(restoredDb, "SELECT count(*) FROM objects WHERE id = $1 OR name LIKE 'deleted%'", deletedId));
        Assert.Empty(Directory.EnumerateFiles(restoredBlobs, deletedId, SearchOption.AllDirectories));

        // ... and why: the one key that could unwrap its data key is gone, in the live database and the restored one alike,
        // and the backup never held it (organization_key_versions' rows are not dumped).
        Assert.True(await ScalarAsync<bool>(restoredDb, "SELECT wrapped_key IS NULL FROM organization_key_versions WHERE organization_id = $1 AND version = 1", organization));
        Assert.Equal(await ScalarAsync<int>(fixture.StorageDb, "SELECT key_version FROM objects WHERE id = $1", keptId),
            await ScalarAsync<int>(restoredDb, "SELECT key_version FROM objects WHERE id = $1", keptId));

        // The secrets: the kept one comes back under its live version and opens with the restored storage's keys; the
        // deleted one is not in the restored database (no name, no version), and the old backup's ciphertext of it opens
        // nowhere any more, because the version it is under was destroyed.
        var keptSecret = await ScalarAsync<string>(late.Keys, "SELECT ciphertext FROM organization_secrets WHERE organization_id = $1 AND name = 'kept-token'", organization);
        using (var restoredTransit = Transit(restored))
        {
            Assert.Equal("hf_kept_0123456789", await DecryptAsync(restoredTransit, organization, "kept-token", keptSecret));
            Assert.Equal("https://platform.dev/problems/key-version-destroyed", await RefusedAsync(restoredTransit, organization, "deleted-token", deletedSecret));
        }

        Assert.Equal(0L, await ScalarAsync<long>(late.Keys, "SELECT count(*) FROM organization_secrets WHERE organization_id = $1 AND name = 'deleted-token'", organization));
        Assert.Equal("https://platform.dev/problems/key-version-destroyed", await RefusedAsync(transit, organization, "deleted-token", deletedSecret));
    }

    private static async Task StoreSecretAsync(HttpClient keys, string organization, string name, string value)
    {
        var response = await keys.PutAsJsonAsync($"/v1/organizations/{organization}/secrets/{name}", new { value });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Storage's transit API with keys' own credential, as keys calls it.</summary>
    private static HttpClient Transit(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<storage::Program> storage)
    {
        var client = storage.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BackupFixture.KeysStorageToken);
        return client;
    }

    private static object SecretContext(string organization, string name) => new { organization, secret = name, purpose = "keys.secret" };

    private static async Task<string> DecryptAsync(HttpClient transit, string organization, string name, string ciphertext)
    {
        var response = await transit.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext, context = SecretContext(organization, name) });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("plaintext").GetString()!));
    }

    private static async Task<string?> RefusedAsync(HttpClient transit, string organization, string name, string ciphertext)
    {
        var response = await transit.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext, context = SecretContext(organization, name) });
        Assert.Equal(HttpStatusCode.Gone, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString();
    }

    [Fact]
    public async Task A_zero_retention_images_bytes_never_reach_a_backup_and_its_row_is_dropped_on_restore_while_other_objects_come_back()
    {
        // Images default to zero retention (the self-service plan: discarded after processing).
        var organization = $"org_bz{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        using var live = BackupFixture.Gateway(fixture.Storage, organization);
        var dataset = (await (await live.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "frames" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var imageId = await UploadAsync(live, organization, dataset, "frame.png", RandomNumberGenerator.GetBytes(3_000), "image");
        var keptBytes = RandomNumberGenerator.GetBytes(4_000);
        var keptId = await UploadAsync(live, organization, dataset, "weights.bin", keptBytes);

        var (exit, output, error) = await fixture.CtlAsync(BackupFixture.RestorerToken, "backup", "create");
        Assert.True(exit == 0, error);
        var backupId = Regex.Match(output, "bk_[0-9]{8}T[0-9]{6}Z_[0-9a-f]{8}").Value;
        using (var manifest = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(fixture.BackupFolder, backupId, "manifest.json"))))
        {
            var blobs = manifest.RootElement.GetProperty("blobRoots")[0].GetProperty("blobs").EnumerateArray().Select(b => b.GetProperty("path").GetString()!).ToArray();
            Assert.DoesNotContain(blobs, b => b.EndsWith($"/{imageId}", StringComparison.Ordinal));
            Assert.Contains(blobs, b => b.EndsWith($"/{keptId}", StringComparison.Ordinal));
            var storageEntry = manifest.RootElement.GetProperty("databases").EnumerateArray().Single(d => d.GetProperty("name").GetString() == "storage-test");
            Assert.Contains(imageId, storageEntry.GetProperty("zeroRetentionObjects").EnumerateArray().Select(o => o.GetString()));
        }

        // Restored into a fresh instance: the image's row is dropped (listed), no file of it exists, the other object reads back.
        var restore = await RestoreAsync(backupId, "zero");
        Assert.True(restore.Exit == 0, restore.Error);
        Assert.Contains($"{imageId} (zero-retention)", restore.Output);
        Assert.Empty(Directory.EnumerateFiles(restore.Blobs, imageId, SearchOption.AllDirectories));
        Assert.Equal(0L, await ScalarAsync<long>(restore.Database, "SELECT count(*) FROM objects WHERE id = $1", imageId));
        using var client = BackupFixture.Gateway(fixture.StartRestoredStorage(restore.Database, restore.Blobs), organization);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/frame.png")).StatusCode);
        Assert.Equal(keptBytes, await client.GetByteArrayAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/weights.bin"));
    }

    private async Task<(int Exit, string Output, string Error, string Database, string Blobs, string Keys)> RestoreAsync(string backupId, string name)
    {
        var database = fixture.Fresh.GetConnectionString($"{name}storage{backupId[^8..]}");
        var keys = fixture.Fresh.GetConnectionString($"{name}keys{backupId[^8..]}");
        var blobs = fixture.ScratchFolder($"{name}-blobs-{backupId}");
        var targets = fixture.ScratchFolder($"{name}-targets-{backupId}.json");
        await File.WriteAllTextAsync(targets, JsonSerializer.Serialize(new
        {
            databases = new Dictionary<string, string>
            {
                ["storage-test"] = database,
                ["retention"] = fixture.Fresh.GetConnectionString($"{name}retention{backupId[^8..]}"),
                ["keys"] = keys,
            },
            blobRoots = new Dictionary<string, string> { ["storage-test-blobs"] = blobs },
        }));
        var (exit, output, error) = await fixture.CtlAsync(BackupFixture.RestorerToken, "backup", "restore", backupId, "--targets", targets);
        return (exit, output, error, database, blobs, keys);
    }

    private static async Task<string> UploadAsync(HttpClient client, string organization, string dataset, string name, byte[] bytes, string dataClass = "artifact")
    {
        using var content = new ByteArrayContent(bytes);
        var response = await client.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/{name}?dataClass={dataClass}", content);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    internal static async Task<T> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters) command.Parameters.Add(new() { Value = parameter });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    internal static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }
}
