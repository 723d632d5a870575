using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Storage.Keys;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// Deletion that reaches backups (issue 16 item 3), on storage's side: with the defaults (7-day key epochs, 21 days of
/// backups, a 30-day bound) a version no object uses any more is destroyed 21 days after it fell unused; a data key
/// still wrapped by it (as in a backup restored later) is then 410 <c>key-version-destroyed</c>. A version that sealed
/// transit ciphertexts follows the same bound once its caller has rewrapped them and reported the versions its live
/// ciphertexts use (<c>PUT /internal/v1/transit-seals</c>); until then, and while a report names it, it is kept.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class RetiredVersionsTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task Unused_versions_are_destroyed_once_every_backup_that_could_hold_them_has_expired_transit_ones_once_their_caller_released_them()
    {
        await using var service = fixture.Create(new Dictionary<string, string?>
        {
            ["Storage:BackupReach:EpochRotation"] = "7.00:00:00",
            ["Storage:BackupReach:BackupRetention"] = "21.00:00:00",
            ["Storage:BackupReach:Bound"] = "30.00:00:00",
        });
        var maintenance = service.Services.GetRequiredService<KeyMaintenanceService>();
        var organization = StorageApi.NewOrganization();
        var transitOrganization = StorageApi.NewOrganization();
        var heldOrganization = StorageApi.NewOrganization();
        var unreportedOrganization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization, service: service);
        var dataset = await client.CreateDatasetAsync(organization);
        await (await client.PutObjectAsync(organization, dataset, "kept.bin", [1, 2, 3], "artifact")).JsonAsync(HttpStatusCode.Created);
        var operatorClient = fixture.ServiceClient(service: service);
        var sealedValue = (await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{transitOrganization}/encrypt", new { plaintext = "AQID" })).JsonAsync())
            .GetProperty("ciphertext").GetString();
        var context = new Dictionary<string, string>();
        await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{heldOrganization}/encrypt", new { plaintext = "AQID" })).JsonAsync();
        await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{unreportedOrganization}/encrypt", new { plaintext = "AQID" })).JsonAsync();
        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("storagedb"));
        var oldWrapping = await RowAsync(dataSource, organization);

        await fixture.AdvanceAsync(TimeSpan.FromDays(8));
        await maintenance.RunOnceAsync(CancellationToken.None);
        Assert.Equal(2, (await RowAsync(dataSource, organization)).Version);
        Assert.Equal("decrypt-only", await StateAsync(operatorClient, organization, 1));

        // The caller rewraps its live ciphertext onto version 2, then reports what its live ciphertexts use: version 2 of
        // the first organization, still version 1 of the second (a ciphertext it did not move). It says nothing of the third.
        var rewrapped = (await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{transitOrganization}/rewrap", new { ciphertext = sealedValue, context })).JsonAsync())
            .GetProperty("ciphertext").GetString()!;
        Assert.StartsWith("pvt:v2:", rewrapped);
        var report = await (await operatorClient.PutAsJsonAsync("/internal/v1/transit-seals", new
        {
            organizations = new Dictionary<string, int[]> { [transitOrganization] = [2], [heldOrganization] = [1] },
        })).JsonAsync();
        Assert.Equal(2, report.GetProperty("current").GetProperty(transitOrganization).GetInt32());
        Assert.True(report.GetProperty("released").GetInt32() >= 2, report.ToString());

        // Another service, limited to its own organization, cannot speak for others: naming one is 403 and changes
        // nothing; its empty report releases only its own seals. Without a service credential: 401.
        var tenant = fixture.ServiceClient(StorageServiceFixture.TenantServiceToken, service);
        await (await tenant.PutAsJsonAsync("/internal/v1/transit-seals", new { organizations = new Dictionary<string, int[]> { [heldOrganization] = [2] } })).ProblemAsync(HttpStatusCode.Forbidden);
        await (await tenant.PutAsJsonAsync("/internal/v1/transit-seals", new { organizations = new Dictionary<string, int[]>() })).JsonAsync();
        await (await service.CreateClient().PutAsJsonAsync("/internal/v1/transit-seals", new { organizations = new Dictionary<string, int[]>() })).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await fixture.Gateway(organization, service: service).PutAsJsonAsync("/internal/v1/transit-seals", new { organizations = new Dictionary<string, int[]>() })).ProblemAsync(HttpStatusCode.Unauthorized);
        await (await operatorClient.PutAsJsonAsync("/internal/v1/transit-seals", new { organizations = new Dictionary<string, int[]> { ["not an organization"] = [1] } })).ProblemAsync(HttpStatusCode.BadRequest);
        await maintenance.RunOnceAsync(CancellationToken.None);

        // 20 days after it fell unused: a backup of that time may still exist; the version stays.
        await fixture.AdvanceAsync(TimeSpan.FromDays(20));
        await maintenance.RunOnceAsync(CancellationToken.None);
        Assert.Equal("decrypt-only", await StateAsync(operatorClient, organization, 1));

        await fixture.AdvanceAsync(TimeSpan.FromDays(2));
        await maintenance.RunOnceAsync(CancellationToken.None);
        Assert.Equal("destroyed", await StateAsync(operatorClient, organization, 1));
        Assert.Equal("destroyed", await StateAsync(operatorClient, transitOrganization, 1));
        var opened = await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{transitOrganization}/decrypt", new { ciphertext = rewrapped })).JsonAsync();
        Assert.Equal("AQID", opened.GetProperty("plaintext").GetString());
        var gone = await (await operatorClient.PostAsJsonAsync($"/internal/v1/transit/{transitOrganization}/decrypt", new { ciphertext = sealedValue })).ProblemAsync(HttpStatusCode.Gone);
        Assert.Equal("https://platform.dev/problems/key-version-destroyed", gone.GetProperty("type").GetString());
        // The report is complete for the caller's organizations: the third organization's seal was released with it; the
        // version the report named is kept, whatever another service reported.
        Assert.Equal("destroyed", await StateAsync(operatorClient, unreportedOrganization, 1));
        Assert.Equal("decrypt-only", await StateAsync(operatorClient, heldOrganization, 1));
        Assert.Equal([1, 2, 3], await client.GetObjectBytesAsync(organization, dataset, "kept.bin"));

        // The object's row as a backup from before held it: its data key wrapped by version 1, which no longer exists.
        await using (var restore = dataSource.CreateCommand("UPDATE objects SET key_version = $2, wrapped_dek = $3 WHERE id = $1"))
        {
            restore.Parameters.Add(new() { Value = oldWrapping.Id });
            restore.Parameters.Add(new() { Value = oldWrapping.Version });
            restore.Parameters.Add(new() { Value = oldWrapping.Wrapped });
            await restore.ExecuteNonQueryAsync();
        }

        var problem = await (await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/kept.bin")).ProblemAsync(HttpStatusCode.Gone);
        Assert.Equal("https://platform.dev/problems/key-version-destroyed", problem.GetProperty("type").GetString());
    }

    private static async Task<(string Id, int Version, byte[] Wrapped)> RowAsync(NpgsqlDataSource dataSource, string organization)
    {
        await using var command = dataSource.CreateCommand("SELECT id, key_version, wrapped_dek FROM objects WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organization });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<byte[]>(2));
    }

    private static async Task<string?> StateAsync(HttpClient operatorClient, string organization, int version)
    {
        var status = await (await operatorClient.GetAsync($"/internal/v1/organizations/{organization}/keys")).JsonAsync();
        return status.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == version).GetProperty("state").GetString();
    }
}
