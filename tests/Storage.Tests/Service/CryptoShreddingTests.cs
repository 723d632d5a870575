using System.Net;
using System.Net.Http.Json;
using System.Text;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>Destroying an organization's keys makes everything it stored unreadable, with a receipt (SPEC ENC-SHRED).</summary>
[Collection(StorageServiceCollection.Name)]
public sealed class CryptoShreddingTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task After_destroying_the_keys_nothing_is_readable_and_no_backup_holds_the_plaintext()
    {
        var organization = StorageApi.NewOrganization();
        var marker = Encoding.ASCII.GetBytes($"SHRED-MARKER-{Guid.NewGuid():N}");
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var body = new byte[150_000];
        for (var offset = 0; offset + marker.Length < body.Length; offset += 10_000) marker.CopyTo(body, offset);
        await (await client.PutObjectAsync(organization, dataset, "secret.txt", body, "artifact")).JsonAsync(HttpStatusCode.Created);
        var service = fixture.ServiceClient();
        var transit = await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = Convert.ToBase64String(marker) })).JsonAsync();
        await (await service.PostAsync($"/internal/v1/organizations/{organization}/keys/rotate", null)).JsonAsync();

        // The scan can fail: a copy of the plaintext where a backup would pick it up is found.
        var control = Path.Combine(fixture.BlobRoot, "control");
        Directory.CreateDirectory(control);
        await File.WriteAllBytesAsync(Path.Combine(control, "plain"), body);
        Assert.NotEmpty(PlaintextScan.FilesContaining(fixture.BlobRoot, marker));
        Directory.Delete(control, recursive: true);

        await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = "org_someoneelse", requestedBy = "ops@example.com", reason = "closure" })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "secret.txt"))).StatusCode);

        var receipt = await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "ops@example.com", reason = "account closure" })).JsonAsync();
        Assert.Equal([1, 2], receipt.GetProperty("versionsDestroyed").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal(1, receipt.GetProperty("objectsUnreadable").GetInt32());
        Assert.Equal("retention:ops@example.com", receipt.GetProperty("destroyedBy").GetString());
        await fixture.Events.WaitForAsync("encryption-key.destroyed", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("destroyedBy").GetString() == "retention:ops@example.com" && e.GetProperty("reason").GetString() == "account closure"
            && e.GetProperty("bytesUnreadable").GetInt64() == body.Length);

        var gone = await (await client.GetAsync(StorageApi.ObjectPath(organization, dataset, "secret.txt"))).ProblemAsync(HttpStatusCode.Gone);
        Assert.Equal("https://platform.dev/problems/organization-keys-destroyed", gone.GetProperty("type").GetString());
        await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext = transit.GetProperty("ciphertext").GetString() })).ProblemAsync(HttpStatusCode.Gone);
        await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = "AAAA" })).ProblemAsync(HttpStatusCode.Gone);
        await (await client.PutObjectAsync(organization, dataset, "new.txt", [1])).ProblemAsync(HttpStatusCode.Gone);
        await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "ops@example.com", reason = "again" })).ProblemAsync(HttpStatusCode.Gone);
        Assert.All((await (await service.GetAsync($"/internal/v1/organizations/{organization}/keys")).JsonAsync()).GetProperty("versions").EnumerateArray(),
            v => Assert.Equal("destroyed", v.GetProperty("state").GetString()));

        var dump = await PlaintextScan.DumpAsync(fixture.Servers.GetConnectionString("storagedb"));
        Assert.True(dump.AsSpan().IndexOf(Encoding.UTF8.GetBytes(organization)) >= 0, "The dump does not hold the organization: it is not of this database.");
        Assert.False(PlaintextScan.Contains(dump, marker), "The database dump holds the marker.");
        Assert.Empty(PlaintextScan.FilesContaining(fixture.BlobRoot, marker));
    }

    [Fact]
    public async Task A_database_backup_from_before_the_shred_restored_afterwards_decrypts_nothing()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        var body = Encoding.ASCII.GetBytes($"BACKUP-MARKER-{Guid.NewGuid():N}");
        await (await client.PutObjectAsync(organization, dataset, "kept.txt", body, "artifact")).JsonAsync(HttpStatusCode.Created);
        var service = fixture.ServiceClient();
        var transit = await (await service.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext = Convert.ToBase64String(body) })).JsonAsync();
        await using var database = Npgsql.NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("storagedb"));
        var backup = new List<(int Version, byte[] Wrapped)>();
        await using (var select = database.CreateCommand("SELECT version, wrapped_key FROM organization_key_versions WHERE organization_id = $1"))
        {
            select.Parameters.Add(new() { Value = organization });
            await using var rows = await select.ExecuteReaderAsync();
            while (await rows.ReadAsync()) backup.Add((rows.GetInt32(0), rows.GetFieldValue<byte[]>(1)));
        }

        Assert.NotEmpty(backup);
        await (await service.PostAsJsonAsync($"/internal/v1/organizations/{organization}/keys/destroy",
            new { confirm = organization, requestedBy = "ops@example.com", reason = "account closure" })).JsonAsync();

        // The backup's key rows come back as they were: wrapped keys present, the organization not marked destroyed.
        foreach (var (version, wrapped) in backup)
        {
            await using var restore = database.CreateCommand("UPDATE organization_key_versions SET wrapped_key = $3 WHERE organization_id = $1 AND version = $2");
            restore.Parameters.Add(new() { Value = organization });
            restore.Parameters.Add(new() { Value = version });
            restore.Parameters.Add(new() { Value = wrapped });
            Assert.Equal(1, await restore.ExecuteNonQueryAsync());
        }

        await using (var undestroy = database.CreateCommand("UPDATE organization_keys SET destroyed_at = NULL, destroyed_by = NULL WHERE organization_id = $1"))
        {
            undestroy.Parameters.Add(new() { Value = organization });
            Assert.Equal(1, await undestroy.ExecuteNonQueryAsync());
        }

        // A fresh instance, so no key cached in memory helps: the organization's key in the root key provider is gone.
        await using var restarted = fixture.Create(new Dictionary<string, string?>());
        var read = await fixture.Gateway(organization, service: restarted).GetAsync(StorageApi.ObjectPath(organization, dataset, "kept.txt"));
        var gone = await read.ProblemAsync(HttpStatusCode.Gone);
        Assert.Equal("https://platform.dev/problems/organization-keys-destroyed", gone.GetProperty("type").GetString());
        await (await fixture.ServiceClient(service: restarted).PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt",
            new { ciphertext = transit.GetProperty("ciphertext").GetString() })).ProblemAsync(HttpStatusCode.Gone);
    }
}
