using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Platform.Retention.Tests.Backups;

/// <summary>
/// A backup set altered in any way — one byte of a payload, a file removed or added, the manifest edited — fails
/// <c>verify</c> and <c>restore</c> with a message naming what is wrong, and nothing is restored; a restore refuses a
/// target that is not fresh and empty, or is a live database or blob root.
/// </summary>
[Collection(BackupCollection.Name)]
public sealed class BackupTamperingTests(BackupFixture fixture)
{
    [Fact]
    public async Task Altered_sets_fail_verify_and_restore_with_a_clear_message()
    {
        using var client = fixture.Operator();
        var created = await client.PostAsync("/v1/retention/backups", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var folder = Path.Combine(fixture.BackupFolder, id);
        var (exit, output, error) = await fixture.CtlAsync(BackupFixture.ReaderToken, "backup", "verify", id);
        Assert.True(exit == 0, error);
        Assert.Contains("verified", output);

        var dump = Path.Combine(folder, "db-storage-test.dump.enc");
        await AlteredAsync(() => Flip(dump, 100), "db-storage-test.dump.enc's SHA-256 differs");
        await AlteredAsync(() => Flip(dump, new FileInfo(dump).Length - 3), "db-storage-test.dump.enc's SHA-256 differs");
        var blobs = Path.Combine(folder, "blobs-storage-test-blobs.tar.enc");
        await AlteredAsync(() => File.Move(blobs, blobs + ".gone"), "blobs-storage-test-blobs.tar.enc is missing", () => File.Move(blobs + ".gone", blobs));
        var extra = Path.Combine(folder, "db-extra.dump.enc");
        await AlteredAsync(() => File.WriteAllText(extra, "x"), "db-extra.dump.enc is in the set but not in its manifest", () => File.Delete(extra));
        var manifest = Path.Combine(folder, "manifest.json");
        var original = await File.ReadAllTextAsync(manifest);
        await AlteredAsync(() => File.WriteAllText(manifest, original.Replace("\"expiresAt\": \"", "\"expiresAt\": \"2", StringComparison.Ordinal)),
            "signature does not verify", () => File.WriteAllText(manifest, original));
        await AlteredAsync(() => File.Delete(Path.Combine(folder, "manifest.sig")), "manifest.sig is missing",
            () => { });

        // A payload whose hash in the manifest matches but whose bytes were made with another key cannot be forged
        // without the signing key; the GCM tags are checked by verify too (the hashes pass here, the tags would not).
        var listed = await client.GetFromJsonAsync<JsonElement>("/v1/retention/backups");
        Assert.Contains(listed.GetProperty("items").EnumerateArray(), i => i.GetProperty("id").GetString() == id && i.GetProperty("problem").GetString() == "manifest.sig is missing.");

        async Task AlteredAsync(Action alter, string expected, Action? undo = null)
        {
            var before = File.Exists(dump) ? await File.ReadAllBytesAsync(dump) : null;
            alter();
            var (code, _, message) = await fixture.CtlAsync(BackupFixture.ReaderToken, "backup", "verify", id);
            Assert.Equal(1, code);
            Assert.Contains(expected, message);
            var target = fixture.Fresh.GetConnectionString($"tampered{Guid.NewGuid():n}"[..24]);
            var restore = await client.PostAsJsonAsync($"/v1/retention/backups/{id}/restore", new
            {
                databases = new Dictionary<string, string> { ["storage-test"] = target, ["retention"] = fixture.Fresh.GetConnectionString($"tamperedr{Guid.NewGuid():n}"[..24]) },
                blobRoots = new Dictionary<string, string> { ["storage-test-blobs"] = fixture.ScratchFolder($"tampered-{Guid.NewGuid():n}") },
            });
            Assert.Equal(HttpStatusCode.UnprocessableEntity, restore.StatusCode);
            var problem = await restore.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("https://platform.dev/problems/backup-invalid", problem.GetProperty("type").GetString());
            Assert.Contains(expected, problem.GetProperty("detail").GetString());
            Assert.Equal(0L, await BackupEndToEndTests.ScalarAsync<long>(target, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
            if (undo is not null) undo();
            else if (before is not null) await File.WriteAllBytesAsync(dump, before);
        }
    }

    [Fact]
    public async Task A_restore_goes_only_into_fresh_empty_targets()
    {
        using var client = fixture.Operator();
        var id = (await (await client.PostAsync("/v1/retention/backups", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var used = fixture.Fresh.GetConnectionString($"used{Guid.NewGuid():n}"[..20]);
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(used))
        {
            await dataSource.CreateCommand("CREATE TABLE customer_data (id int)").ExecuteNonQueryAsync();
        }

        var fresh = fixture.Fresh.GetConnectionString($"fresh{Guid.NewGuid():n}"[..20]);
        var emptyRoot = fixture.ScratchFolder($"empty-{Guid.NewGuid():n}");
        var fullRoot = fixture.ScratchFolder($"full-{Guid.NewGuid():n}");
        Directory.CreateDirectory(fullRoot);
        await File.WriteAllTextAsync(Path.Combine(fullRoot, "keep.txt"), "someone's file");

        await RefusedAsync(new() { ["storage-test"] = used, ["retention"] = fresh }, emptyRoot, 409, "restore-target-not-empty", "'storage-test' is not empty");
        await RefusedAsync(new() { ["storage-test"] = fresh, ["retention"] = fixture.Fresh.GetConnectionString($"fresher{Guid.NewGuid():n}"[..20]), ["keys"] = fresh }, fullRoot, 409, "restore-target-not-empty", "blob root 'storage-test-blobs' is not empty");
        await RefusedAsync(new() { ["storage-test"] = fixture.StorageDb, ["retention"] = fresh }, emptyRoot, 409, "restore-target-is-live", "live database");
        await RefusedAsync(new() { ["storage-test"] = fresh, ["retention"] = fresh, ["keys"] = fresh }, Path.Combine(fixture.BlobRoot, "test"), 409, "restore-target-is-live", "live blob root");
        await RefusedAsync(new() { ["storage-test"] = fresh }, emptyRoot, 400, "invalid-request", "'retention'");
        Assert.Equal("someone's file", await File.ReadAllTextAsync(Path.Combine(fullRoot, "keep.txt")));
        Assert.Equal(0L, await BackupEndToEndTests.ScalarAsync<long>(fresh, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
        Assert.False(Directory.Exists(emptyRoot));

        async Task RefusedAsync(Dictionary<string, string> databases, string root, int status, string slug, string detail)
        {
            var response = await client.PostAsJsonAsync($"/v1/retention/backups/{id}/restore", new { databases, blobRoots = new Dictionary<string, string> { ["storage-test-blobs"] = root } });
            Assert.Equal(status, (int)response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal($"https://platform.dev/problems/{slug}", problem.GetProperty("type").GetString());
            Assert.Contains(detail, problem.GetProperty("detail").GetString());
            Assert.DoesNotContain("Password", problem.GetRawText(), StringComparison.OrdinalIgnoreCase);
        }
    }

    private static void Flip(string path, long offset)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var value = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(value ^ 0x01));
    }
}
