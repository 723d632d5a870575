using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using Platform.Storage.Model;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Service;

/// <summary>
/// Issue 17 items 4 and 6 at one region's storage: its inventory of an organization (every row of its own database,
/// whatever region it names, and every file under the organization's folder, hashed), for service credentials of that
/// organization only; and residency fences, which refuse new datasets of a fenced organization and are set only once
/// every creation under way has committed.
/// </summary>
[Collection(StorageServiceCollection.Name)]
public sealed class ResidencyInventoryTests(StorageServiceFixture fixture)
{
    [Fact]
    public async Task The_inventory_lists_every_row_and_file_of_the_organization_found_here_with_its_hash_and_nothing_of_another()
    {
        var organization = StorageApi.NewOrganization();
        var client = fixture.Gateway(organization);
        var dataset = await client.CreateDatasetAsync(organization);
        await (await client.PutObjectAsync(organization, dataset, "a.png", [1, 2, 3])).JsonAsync(HttpStatusCode.Created);
        // Planted: a row naming another region, and a file by another name under the organization's folder.
        var foreign = DatasetIds.New("eu");
        await using (var connection = new NpgsqlConnection(fixture.Servers.GetConnectionString("storagedb")))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO datasets (id, organization_id, region, name, created_at, created_by) VALUES ($1, $2, 'eu', 'planted', now(), 'test')", connection);
            insert.Parameters.Add(new() { Value = foreign });
            insert.Parameters.Add(new() { Value = organization });
            await insert.ExecuteNonQueryAsync();
        }

        var stash = Path.Combine(fixture.RegionRoot, organization, "stash", "copy.bin");
        Directory.CreateDirectory(Path.GetDirectoryName(stash)!);
        await File.WriteAllBytesAsync(stash, [9, 9, 9]);
        var stranger = StorageApi.NewOrganization();
        await fixture.Gateway(stranger).CreateDatasetAsync(stranger);

        var inventory = await fixture.ServiceClient().GetFromJsonAsync<JsonElement>($"/internal/v1/organizations/{organization}/inventory");
        Assert.Equal(StorageServiceFixture.Region, inventory.GetProperty("region").GetString());
        Assert.Equal(new[] { dataset, foreign }.Order(StringComparer.Ordinal), inventory.GetProperty("datasets").EnumerateArray().Select(d => d.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        var stored = Assert.Single(inventory.GetProperty("objects").EnumerateArray());
        var blobs = inventory.GetProperty("blobs").EnumerateArray().ToDictionary(b => b.GetProperty("path").GetString()!);
        Assert.Equal(2, blobs.Count);
        var blobKey = stored.GetProperty("blobKey").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(fixture.RegionRoot, blobKey)))), blobs[blobKey].GetProperty("sha256").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([9, 9, 9])), blobs[$"{organization}/stash/copy.bin"].GetProperty("sha256").GetString());
        Assert.DoesNotContain(stranger, inventory.GetRawText(), StringComparison.Ordinal);

        // A key is no credential here, nor a service credential listed for another organization.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync($"/internal/v1/organizations/{organization}/inventory")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await fixture.ServiceClient(StorageServiceFixture.TenantServiceToken).GetAsync($"/internal/v1/organizations/{organization}/inventory")).StatusCode);
        File.Delete(stash);
    }

    [Fact]
    public async Task A_fence_waits_for_a_creation_under_way_then_refuses_new_datasets_until_lifted()
    {
        var organization = StorageApi.NewOrganization();
        var service = fixture.ServiceClient();
        // A creation under way: the shared fence lock and its row, not committed yet.
        await using var connection = new NpgsqlConnection(fixture.Servers.GetConnectionString("storagedb"));
        await connection.OpenAsync();
        await using var creation = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock_shared(hashtext('residency-fence:' || $1))", connection, creation))
        {
            command.Parameters.Add(new() { Value = organization });
            await command.ExecuteNonQueryAsync();
        }

        var inFlight = DatasetIds.New(StorageServiceFixture.Region);
        await using (var insert = new NpgsqlCommand("INSERT INTO datasets (id, organization_id, region, name, created_at, created_by) VALUES ($1, $2, $3, 'in flight', now(), 'test')", connection, creation))
        {
            insert.Parameters.Add(new() { Value = inFlight });
            insert.Parameters.Add(new() { Value = organization });
            insert.Parameters.Add(new() { Value = StorageServiceFixture.Region });
            await insert.ExecuteNonQueryAsync();
        }

        var fence = service.PutAsJsonAsync($"/internal/v1/organizations/{organization}/residency-fence", new { region = "eu" });
        // The fence cannot be set while the creation holds its lock; once it commits, it is, and the creation is listed.
        Assert.NotSame(fence, await Task.WhenAny(fence, Task.Delay(TimeSpan.FromSeconds(1))));
        await creation.CommitAsync();
        using (var fenced = await fence)
        {
            Assert.Equal("eu", (await fenced.JsonAsync()).GetProperty("fencedTo").GetString());
        }

        var held = await service.GetFromJsonAsync<JsonElement>($"/internal/v1/organizations/{organization}/datasets");
        Assert.Contains(held.GetProperty("items").EnumerateArray(), d => d.GetProperty("id").GetString() == inFlight);

        // Fenced to eu: no new dataset here, however the request came (no residency header at all), audited.
        var client = fixture.Gateway(organization);
        var refused = await (await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "late" })).ProblemAsync((HttpStatusCode)421);
        Assert.Equal("https://platform.dev/problems/wrong-region", refused.GetProperty("type").GetString());
        Assert.Equal("eu", refused.GetProperty("region").GetString());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("details").GetProperty("why").GetString() == "organization");
        Assert.Equal("eu", (await service.GetFromJsonAsync<JsonElement>($"/internal/v1/organizations/{organization}/inventory")).GetProperty("fencedTo").GetString());

        // A fence naming this region, or none, lets creations through again; only a service credential sets one.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.DeleteAsync($"/internal/v1/organizations/{organization}/residency-fence")).StatusCode);
        (await service.DeleteAsync($"/internal/v1/organizations/{organization}/residency-fence")).EnsureSuccessStatusCode();
        await client.CreateDatasetAsync(organization);
        (await service.PutAsJsonAsync($"/internal/v1/organizations/{organization}/residency-fence", new { region = StorageServiceFixture.Region })).EnsureSuccessStatusCode();
        await client.CreateDatasetAsync(organization);
        await (await service.PutAsJsonAsync($"/internal/v1/organizations/{organization}/residency-fence", new { region = "../eu" })).ProblemAsync(HttpStatusCode.BadRequest);
    }
}
