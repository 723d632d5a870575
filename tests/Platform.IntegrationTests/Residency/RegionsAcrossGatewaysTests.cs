using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using Platform.IntegrationTests.Retention;

namespace Platform.IntegrationTests.Residency;

/// <summary>
/// Issue 17 items 2–4 end to end over HTTPS: a multi-region organization's dataset list shows every region's datasets
/// (paged region after region); a residency change reaches both gateway replicas at once, long before their cache
/// would expire; and datasets created in another region while an Owner pins the organization never slip past the
/// check. With the attacks a stranger would try: another organization's list, a cursor naming another organization's
/// dataset or a region not served, and a region the organization may not use.
/// </summary>
[Collection(Collections.ResidencyAndAudit)]
public sealed class RegionsAcrossGatewaysTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task A_multi_region_organizations_list_shows_every_regions_datasets_and_a_stranger_sees_none()
    {
        var organization = $"org_{Guid.NewGuid():n}";
        using var key = await KeyClientAsync(organization);
        var inUs = await CreateAsync(key, organization, null);
        var inEu = await CreateAsync(key, organization, "eu");
        var secondEu = await CreateAsync(key, organization, "eu");

        var all = await key.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/datasets");
        AssertEveryRegion(Ids(all), inUs, inEu, secondEu);
        Assert.Equal(JsonValueKind.Null, all.GetProperty("next").ValueKind);

        // Page by page, region after region: every dataset once.
        var seen = new List<string>();
        string? after = null;
        do
        {
            var page = await key.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/datasets?limit=2" + (after is null ? "" : $"&after={after}"));
            Assert.True(page.GetProperty("items").GetArrayLength() <= 2);
            seen.AddRange(Ids(page));
            after = page.GetProperty("next").GetString();
        }
        while (after is not null);
        AssertEveryRegion(seen, inUs, inEu, secondEu);

        // A client naming a region gets that region's only.
        using (var named = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/datasets"))
        {
            named.Headers.TryAddWithoutValidation("Platform-Region", "eu");
            using var answer = await key.SendAsync(named);
            Assert.Equal(new[] { inEu, secondEu }.Order(StringComparer.Ordinal), Ids(await answer.Content.ReadFromJsonAsync<JsonElement>()).Order(StringComparer.Ordinal));
        }

        // A stranger with a key of their own: not this organization's list; their own, even with this organization's
        // dataset id as the cursor, holds none of it; a cursor naming a region the gateway does not serve is refused.
        var strangerOrganization = $"org_{Guid.NewGuid():n}";
        using var stranger = await KeyClientAsync(strangerOrganization);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"/v1/organizations/{organization}/datasets")).StatusCode);
        var own = await stranger.GetFromJsonAsync<JsonElement>($"/v1/organizations/{strangerOrganization}/datasets?after={inUs}");
        Assert.Empty(own.GetProperty("items").EnumerateArray());
        await ProblemAsync(await stranger.GetAsync($"/v1/organizations/{strangerOrganization}/datasets?after=ds_apac_0190a1b2c3d4e5f60718293a4b5c6d7e"),
            HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.GetAsync($"/v1/organizations/{strangerOrganization}/datasets/{inEu}")).StatusCode);
    }

    [Fact]
    public async Task A_residency_change_reaches_both_gateway_replicas_before_their_cache_expires()
    {
        var owner = await RetentionOrganization.CreateAsync(fixture);
        var key = (await app.CreateApiKeyAsync(owner.Id, "full")).GetProperty("key").GetString()!;
        using var first = Replica(0, key);
        using var second = Replica(1, key);
        // Both replicas read (and cache, for 5 s) the organization's residency: multi-region.
        foreach (var replica in new[] { first, second })
        {
            using var listed = await replica.GetAsync($"/v1/organizations/{owner.Id}/datasets");
            Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        }

        using (var api = owner.Api())
        {
            var changed = Stopwatch.StartNew();
            using var pinned = await api.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "eu" });
            Assert.True(pinned.StatusCode == HttpStatusCode.OK, await pinned.Content.ReadAsStringAsync());

            // Created right after, through each replica, naming no region: in eu, not in the default region the cache said.
            Assert.StartsWith("ds_eu_", await CreateAsync(first, owner.Id, null));
            Assert.StartsWith("ds_eu_", await CreateAsync(second, owner.Id, null));
            using (var named = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{owner.Id}/datasets") { Content = JsonContent.Create(new { name = "us" }) })
            {
                named.Headers.TryAddWithoutValidation("Platform-Region", "us");
                await ProblemAsync(await second.SendAsync(named), HttpStatusCode.Forbidden, "region-not-allowed");
            }

            Assert.True(changed.Elapsed < TimeSpan.FromSeconds(5), $"The checks took {changed.Elapsed}: they no longer prove the change beat the cache.");
        }

        Assert.Equal(0L, await CountAsync("storageusdb", "SELECT count(*) FROM datasets WHERE organization_id = $1", owner.Id));
    }

    [Fact]
    public async Task Datasets_created_in_another_region_while_an_owner_pins_the_organization_never_slip_past_the_check()
    {
        var outcomes = new List<string>();
        // Creations start with the change, then later and later: committed before the fence (the change is refused,
        // listing them), refused by the fence while the check runs (421), or refused at the gateway after the change.
        foreach (var delay in new[] { 0, 100, 300, 1000 })
        {
            var owner = await RetentionOrganization.CreateAsync(fixture);
            var key = (await app.CreateApiKeyAsync(owner.Id, "full")).GetProperty("key").GetString()!;
            using var first = Replica(0, key);
            using var second = Replica(1, key);
            foreach (var replica in new[] { first, second }) (await replica.GetAsync($"/v1/organizations/{owner.Id}/datasets")).Dispose();

            using var api = owner.Api();
            using var done = new CancellationTokenSource();
            var pin = Task.Run(async () =>
            {
                using var answer = await api.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "us" });
                return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
            });
            // Creations in eu through both replicas, from just after the change starts until just after it ends.
            var creators = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
            {
                await Task.Delay(delay);
                var statuses = new List<HttpStatusCode>();
                while (!done.IsCancellationRequested)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{owner.Id}/datasets") { Content = JsonContent.Create(new { name = $"race {i}" }) };
                    request.Headers.TryAddWithoutValidation("Platform-Region", "eu");
                    using var answer = await (i % 2 == 0 ? first : second).SendAsync(request);
                    statuses.Add(answer.StatusCode);
                }

                return statuses;
            })).ToList();
            var (status, body) = await pin;
            await Task.Delay(200);
            await done.CancelAsync();
            var statuses = (await Task.WhenAll(creators)).SelectMany(s => s).ToList();
            var inEu = await CountAsync("storageeudb", "SELECT count(*) FROM datasets WHERE organization_id = $1", owner.Id);
            var residency = await api.GetFromJsonAsync<JsonElement>("/v1/residency/organization");
            outcomes.Add($"delay {delay} ms: pin {(int)status}, creations {string.Join(",", statuses.GroupBy(s => (int)s).Select(g => $"{g.Key}x{g.Count()}"))}, eu datasets {inEu}");
            if (status == HttpStatusCode.OK)
            {
                // Pinned to us: not one dataset of the organization may be in eu.
                Assert.True(inEu == 0, string.Join("\n", outcomes));
                Assert.Equal("us", residency.GetProperty("region").GetString());
            }
            else
            {
                // Refused: because eu holds what it lists, and the organization is still multi-region.
                Assert.True(status == HttpStatusCode.Conflict && inEu > 0, $"{(int)status} {body}\n{string.Join("\n", outcomes)}");
                Assert.Equal("multi-region", residency.GetProperty("mode").GetString());
            }
        }

        Assert.True(outcomes.Any(o => o.Contains("pin 200", StringComparison.Ordinal)), "No round pinned the organization:\n" + string.Join("\n", outcomes));
    }

    private HttpClient Replica(int replica, string key)
    {
        var client = app.CreateHttpClient("gateway", replica: replica);
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        return client;
    }

    private async Task<HttpClient> KeyClientAsync(string organization) => Replica(0, (await app.CreateApiKeyAsync(organization, "full")).GetProperty("key").GetString()!);

    private static async Task<string> CreateAsync(HttpClient client, string organization, string? region)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{organization}/datasets") { Content = JsonContent.Create(new { name = "listed" }) };
        if (region is not null) request.Headers.TryAddWithoutValidation("Platform-Region", region);
        using var created = await client.SendAsync(request);
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The us region's first (the default, first of the regions), then eu's, each once.</summary>
    private static void AssertEveryRegion(List<string> listed, string inUs, params string[] inEu)
    {
        Assert.Equal(1 + inEu.Length, listed.Count);
        Assert.Equal(inUs, listed[0]);
        Assert.Equal(inEu.Order(StringComparer.Ordinal), listed.Skip(1).Order(StringComparer.Ordinal));
    }

    private static List<string> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToList();

    private async Task<long> CountAsync(string database, string sql, string value)
    {
        await using var connection = new NpgsqlConnection(app.GetConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = value });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(Problems + slug, JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
    }
}
