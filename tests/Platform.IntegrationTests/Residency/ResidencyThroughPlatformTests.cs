using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Platform.IntegrationTests.Retention;

namespace Platform.IntegrationTests.Residency;

/// <summary>
/// SPEC RES-PIN, RES-ENFORCE, GW-ROUTE end to end over HTTPS: an organization pinned to eu has its datasets made,
/// stored and served in eu only; requests are routed by the region in the dataset id; a stranger with an organization,
/// a valid key and a browser of their own reaches none of it through either region, a forged region header, or a
/// direct call to the other region's storage; a multi-region organization's eu dataset is never served by storage-us;
/// and one region's organization keys cannot open what another region sealed.
/// </summary>
[Collection(Collections.ResidencyAndAudit)]
public sealed class ResidencyThroughPlatformTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task An_organization_pinned_to_eu_keeps_its_data_in_eu_and_a_stranger_reaches_it_through_no_region()
    {
        var victim = await RetentionOrganization.CreateAsync(fixture);
        using (var owner = victim.Api())
        {
            using var pinned = await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "eu" });
            Assert.True(pinned.StatusCode == HttpStatusCode.OK, await pinned.Content.ReadAsStringAsync());
        }

        var audited = await app.AuditEntryAsync($"organization={victim.Id}&action=residency.changed");
        Assert.Equal(victim.OwnerUserId, audited.GetProperty("actor").GetString());
        Assert.Equal("eu", audited.GetProperty("region").GetString());

        // Created without naming a region: the organization's.
        using var key = await KeyClientAsync(victim.Id);
        var dataset = await CreateDatasetAsync(key, victim.Id);
        Assert.StartsWith("ds_eu_", dataset.GetProperty("id").GetString());
        Assert.Equal("eu", dataset.GetProperty("region").GetString());
        var datasetId = dataset.GetProperty("id").GetString()!;
        var objectPath = $"/v1/organizations/{victim.Id}/datasets/{datasetId}/objects/scan.png";
        using (var put = await key.PutAsync(objectPath + "?dataClass=image", new ByteArrayContent("eu-only-bytes"u8.ToArray())))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        Assert.Equal("eu-only-bytes", await key.GetStringAsync(objectPath));
        // Stored in eu's database and blob root only.
        Assert.Equal(1, await CountAsync("storageeudb", "SELECT count(*) FROM objects WHERE dataset_id = $1", datasetId));
        Assert.Equal(0, await CountAsync("storageusdb", "SELECT count(*) FROM datasets WHERE organization_id = $1", victim.Id));
        var folders = Directory.EnumerateDirectories(app.StateDirectory, victim.Id, SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(folders);
        Assert.All(folders, folder => Assert.Contains($"{Path.DirectorySeparatorChar}storage-eu{Path.DirectorySeparatorChar}", folder, StringComparison.Ordinal));

        // The organization itself may not name another region, for a new dataset or an existing one.
        using (var elsewhere = Request(HttpMethod.Post, $"/v1/organizations/{victim.Id}/datasets", "us", JsonContent.Create(new { name = "us" })))
        {
            await ProblemAsync(await key.SendAsync(elsewhere), HttpStatusCode.Forbidden, "region-not-allowed");
        }

        using (var wrong = Request(HttpMethod.Get, objectPath, "us"))
        {
            await ProblemAsync(await key.SendAsync(wrong), (HttpStatusCode)421, "wrong-region");
        }

        // A stranger: an organization, a valid key and a browser of their own.
        var stranger = await RetentionOrganization.CreateAsync(fixture);
        using var strangerKey = await KeyClientAsync(stranger.Id);
        Assert.Equal(HttpStatusCode.Forbidden, (await strangerKey.GetAsync(objectPath)).StatusCode);
        foreach (var region in new[] { "eu", "us" })
        {
            using var named = Request(HttpMethod.Get, objectPath, region);
            var answer = await strangerKey.SendAsync(named);
            Assert.True(answer.StatusCode is HttpStatusCode.Forbidden or (HttpStatusCode)421, $"{region}: {(int)answer.StatusCode}");
        }

        // The victim's dataset id under the stranger's own organization: that organization has no such dataset, in any region.
        Assert.Equal(HttpStatusCode.NotFound, (await strangerKey.GetAsync($"/v1/organizations/{stranger.Id}/datasets/{datasetId}/objects/scan.png")).StatusCode);
        // Forged gateway headers are stripped at the edge, and a forged residency header changes nothing.
        using (var forged = Request(HttpMethod.Get, objectPath, null))
        {
            forged.Headers.TryAddWithoutValidation("X-Platform-Organization", victim.Id);
            forged.Headers.TryAddWithoutValidation("X-Platform-Residency-Region", "eu");
            Assert.Equal(HttpStatusCode.Forbidden, (await strangerKey.SendAsync(forged)).StatusCode);
        }

        // The stranger's own browser session, with the owner's role in their own organization, reaches nothing either.
        using (var browser = stranger.Api())
        {
            Assert.True((await browser.GetAsync(objectPath)).StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized);
        }

        // Straight to the other region's storage: a key is no credential there, and even storage's own operator token
        // gets the dataset refused as pinned elsewhere, not served.
        using (var direct = new HttpClient { BaseAddress = app.GetEndpoint("storage-us", "http") })
        {
            direct.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", "sk_live_anything");
            Assert.Equal(HttpStatusCode.Unauthorized, (await direct.GetAsync(objectPath)).StatusCode);
        }

        using var operatorUs = StorageOperator("storage-us");
        await ProblemAsync(await operatorUs.GetAsync($"/internal/v1/organizations/{victim.Id}/datasets/{datasetId}"), (HttpStatusCode)421, "wrong-region");
        var refusal = await app.AuditEntryAsync($"organization={victim.Id}&action=request.refused&actor=operator:operator");
        Assert.Equal("us", refusal.GetProperty("region").GetString());

        // While it holds eu data, the organization cannot be pinned to us.
        using (var owner = victim.Api())
        {
            var problem = await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "us" }),
                HttpStatusCode.Conflict, "data-outside-region");
            Assert.Contains(problem.GetProperty("datasets").EnumerateArray(), d => d.GetProperty("datasetId").GetString() == datasetId && d.GetProperty("region").GetString() == "eu");
        }
    }

    [Fact]
    public async Task A_multi_region_organizations_eu_dataset_lives_in_eu_and_is_never_served_by_storage_us()
    {
        var organization = $"org_{Guid.NewGuid():n}";
        using var key = await KeyClientAsync(organization);
        var inDefault = await CreateDatasetAsync(key, organization);
        Assert.Equal("us", inDefault.GetProperty("region").GetString());

        using var inEu = Request(HttpMethod.Post, $"/v1/organizations/{organization}/datasets", "eu", JsonContent.Create(new { name = "eu" }));
        using var created = await key.SendAsync(inEu);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var euDataset = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        Assert.StartsWith("ds_eu_", euDataset);
        using (var put = await key.PutAsync($"/v1/organizations/{organization}/datasets/{euDataset}/objects/a.bin?dataClass=artifact", new ByteArrayContent([1, 2, 3])))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        // Routed by its id, without the client naming a region.
        Assert.Equal([1, 2, 3], await key.GetByteArrayAsync($"/v1/organizations/{organization}/datasets/{euDataset}/objects/a.bin"));
        Assert.Equal(0, await CountAsync("storageusdb", "SELECT count(*) FROM datasets WHERE id = $1", euDataset));
        Assert.Equal(1, await CountAsync("storageeudb", "SELECT count(*) FROM datasets WHERE id = $1", euDataset));

        using var operatorUs = StorageOperator("storage-us");
        await ProblemAsync(await operatorUs.GetAsync($"/internal/v1/organizations/{organization}/datasets/{euDataset}"), (HttpStatusCode)421, "wrong-region");
        using var operatorEu = StorageOperator("storage-eu");
        Assert.Equal(HttpStatusCode.OK, (await operatorEu.GetAsync($"/internal/v1/organizations/{organization}/datasets/{euDataset}")).StatusCode);

        // A region the gateway does not serve, or a malformed one, is refused before anything goes upstream.
        foreach (var region in new[] { "mars", "EU", "eu,us" })
        {
            using var bad = Request(HttpMethod.Post, $"/v1/organizations/{organization}/datasets", region, JsonContent.Create(new { name = "x" }));
            await ProblemAsync(await key.SendAsync(bad), HttpStatusCode.BadRequest, "unknown-region");
        }
    }

    [Fact]
    public async Task What_one_regions_organization_key_sealed_another_region_cannot_open()
    {
        var organization = $"org_{Guid.NewGuid():n}";
        using var us = StorageOperator("storage-us");
        using var eu = StorageOperator("storage-eu");
        var plaintext = Convert.ToBase64String("regional secret"u8);
        foreach (var storage in new[] { us, eu })
        {
            // Each region makes the organization's key of its own on first use.
            using var warm = await storage.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext });
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        using var sealedInUs = await us.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", new { plaintext });
        var ciphertext = (await sealedInUs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ciphertext").GetString();
        using var openedInUs = await us.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext });
        Assert.Equal(plaintext, (await openedInUs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("plaintext").GetString());
        using var openedInEu = await eu.PostAsJsonAsync($"/internal/v1/transit/{organization}/decrypt", new { ciphertext });
        Assert.Equal(HttpStatusCode.BadRequest, openedInEu.StatusCode);
        Assert.DoesNotContain(plaintext, await openedInEu.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private HttpClient StorageOperator(string storage)
    {
        var client = new HttpClient { BaseAddress = app.GetEndpoint(storage, "http") };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("storage-service-token"));
        return client;
    }

    private async Task<HttpClient> KeyClientAsync(string organization)
    {
        var key = (await app.CreateApiKeyAsync(organization, "full")).GetProperty("key").GetString()!;
        var client = app.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        return client;
    }

    private static async Task<JsonElement> CreateDatasetAsync(HttpClient client, string organization)
    {
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "residency" });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return await created.Content.ReadFromJsonAsync<JsonElement>();
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, string? region, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (region is not null) request.Headers.TryAddWithoutValidation("Platform-Region", region);
        return request;
    }

    private async Task<long> CountAsync(string database, string sql, string value)
    {
        await using var connection = new NpgsqlConnection(app.GetConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = value });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(Problems + slug, problem.GetProperty("type").GetString());
        return problem;
    }
}
