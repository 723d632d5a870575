using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Residency.Tests.Infrastructure;

namespace Platform.Residency.Tests.Service;

/// <summary>
/// SPEC RES-REGION, RES-PIN at the service: members read the regions and their organization's residency; an Owner with
/// a recent MFA changes it; pinning to one region is refused while another region's storage holds the organization's
/// data (the answer lists it) or cannot say; every change and refusal is audited, and a refusal changes nothing.
/// </summary>
[Collection(ResidencyServiceCollection.Name)]
public sealed class ResidencyTests(ResidencyServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private HttpClient Owner() => fixture.UserClient(organization, ["Owner"]);

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(Problems + slug, problem.GetProperty("type").GetString());
        return problem;
    }

    private async Task<JsonElement> ResidencyAsync() =>
        await fixture.UserClient(organization, ["Viewer"], mfa: false).GetFromJsonAsync<JsonElement>("/v1/residency/organization");

    [Fact]
    public async Task Every_member_reads_the_regions_and_a_new_organization_is_multi_region_with_the_default()
    {
        using var viewer = fixture.UserClient(organization, ["Viewer"], mfa: false);
        var regions = await viewer.GetFromJsonAsync<JsonElement>("/v1/residency/regions");
        Assert.Equal("us", regions.GetProperty("defaultRegion").GetString());
        Assert.Equal(["us", "eu", "apac"], regions.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        // Where storage runs is the platform's business, not a member's.
        Assert.DoesNotContain("storage-", regions.GetRawText(), StringComparison.Ordinal);

        var residency = await ResidencyAsync();
        Assert.Equal(organization, residency.GetProperty("organizationId").GetString());
        Assert.Equal("multi-region", residency.GetProperty("mode").GetString());
        Assert.Equal(["us", "eu", "apac"], residency.GetProperty("allowedRegions").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("us", residency.GetProperty("defaultRegion").GetString());
    }

    [Fact]
    public async Task An_owner_pins_the_organization_to_one_region_and_it_is_audited_with_the_region_and_announced()
    {
        fixture.Storage.AddDataset("eu", organization, "ds_eu_0190a1b2c3d4e5f60718293a4b5c6d7e");
        using var owner = Owner();
        var response = await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "eu" });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.GetRawText());
        Assert.Equal("eu", body.GetProperty("region").GetString());
        Assert.Equal(["eu"], body.GetProperty("allowedRegions").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("eu", body.GetProperty("defaultRegion").GetString());
        Assert.Equal("single-region", (await ResidencyAsync()).GetProperty("mode").GetString());

        var audited = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "residency.changed");
        Assert.Equal("eu", audited.GetProperty("region").GetString());
        Assert.Equal("usr_residency_tests", audited.GetProperty("actor").GetString());
        Assert.Equal("multi-region", audited.GetProperty("details").GetProperty("previousMode").GetString());
        await fixture.Events.WaitForAsync("residency.changed", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("region").GetString() == "eu");

        // Residency asked the other regions only what they hold, with its storage credential, never the caller's token;
        // it fenced those regions to eu first (no new dataset there from then on) and left eu unfenced.
        var asked = fixture.Storage.Requests.Where(r => r.RequestUri!.AbsolutePath.Contains(organization, StringComparison.Ordinal)).ToList();
        Assert.Equal(["storage-apac.test", "storage-us.test"], asked.Where(r => r.RequestUri!.AbsolutePath.EndsWith("/datasets", StringComparison.Ordinal))
            .Select(r => r.RequestUri!.Host).Order(StringComparer.Ordinal));
        Assert.All(asked, r => Assert.Equal(ResidencyServiceFixture.StorageToken, r.Headers.Authorization?.Parameter));
        Assert.Equal("eu", fixture.Storage.Fences[("us", organization)]);
        Assert.Equal("eu", fixture.Storage.Fences[("apac", organization)]);
        Assert.False(fixture.Storage.Fences.ContainsKey(("eu", organization)));

        // Back to multi-region needs no check: nothing is outside "every region".
        var back = await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "multi-region" });
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal("multi-region", (await ResidencyAsync()).GetProperty("mode").GetString());
        Assert.DoesNotContain(fixture.Storage.Fences.Keys, k => k.Organization == organization);
    }

    [Fact]
    public async Task Pinning_is_refused_while_another_region_holds_data_and_the_answer_lists_it()
    {
        fixture.Storage.AddDataset("us", organization, "ds_us_0190a1b2c3d4e5f60718293a4b5c6d7e");
        fixture.Storage.AddDataset("apac", organization, "ds_apac_0190a1b2c3d4e5f60718293a4b5c6d7f");
        fixture.Storage.AddDataset("us", "org_someoneelse", "ds_us_0190a1b2c3d4e5f60718293a4b5c6d70");
        using var owner = Owner();
        var problem = await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "eu" }),
            HttpStatusCode.Conflict, "data-outside-region");
        var listed = problem.GetProperty("datasets").EnumerateArray().Select(d => (d.GetProperty("region").GetString(), d.GetProperty("datasetId").GetString())).Order().ToList();
        Assert.Equal([("apac", "ds_apac_0190a1b2c3d4e5f60718293a4b5c6d7f"), ("us", "ds_us_0190a1b2c3d4e5f60718293a4b5c6d7e")], listed);
        Assert.Equal("multi-region", (await ResidencyAsync()).GetProperty("mode").GetString());
        // The fences set for the check are lifted again: the organization stays multi-region everywhere.
        Assert.DoesNotContain(fixture.Storage.Fences.Keys, k => k.Organization == organization);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("details").GetProperty("reason").GetString() == "data-outside-region");
    }

    [Fact]
    public async Task Pinning_is_refused_when_a_region_storage_cannot_say_what_it_holds()
    {
        fixture.Storage.Down["apac"] = true;
        try
        {
            using var owner = Owner();
            var problem = await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "us" }),
                HttpStatusCode.ServiceUnavailable, "region-storage-unavailable");
            Assert.Equal(["apac"], problem.GetProperty("regions").EnumerateArray().Select(r => r.GetString()));
            Assert.Equal("multi-region", (await ResidencyAsync()).GetProperty("mode").GetString());
        }
        finally
        {
            fixture.Storage.Down.TryRemove("apac", out _);
        }
    }

    [Fact]
    public async Task Bad_input_is_refused_and_changes_nothing()
    {
        using var owner = Owner();
        var unknown = await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "mars" }),
            HttpStatusCode.BadRequest, "unknown-region");
        Assert.Equal(["us", "eu", "apac"], unknown.GetProperty("regions").EnumerateArray().Select(r => r.GetString()));
        await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region" }), HttpStatusCode.BadRequest, "unknown-region");
        await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "multi-region", region = "eu" }), HttpStatusCode.BadRequest, "invalid-request");
        await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "everywhere" }), HttpStatusCode.BadRequest, "invalid-request");
        await ProblemAsync(await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "eu", extra = 1 }), HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal("multi-region", (await ResidencyAsync()).GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Only_an_owner_with_a_recent_second_factor_changes_residency()
    {
        var body = new { mode = "single-region", region = "eu" };
        await ProblemAsync(await fixture.UserClient(organization, ["Admin"]).PutAsJsonAsync("/v1/residency/organization", body), HttpStatusCode.Forbidden, "insufficient-role");
        var stale = await fixture.UserClient(organization, ["Owner"], authenticatedAgo: TimeSpan.FromHours(1)).PutAsJsonAsync("/v1/residency/organization", body);
        await ProblemAsync(stale, HttpStatusCode.Unauthorized, "step-up-required");
        await ProblemAsync(await fixture.UserClient(organization, ["Owner"], mfa: false).PutAsJsonAsync("/v1/residency/organization", body), HttpStatusCode.Unauthorized, "step-up-required");
        await ProblemAsync(await fixture.UserClient(organization, ["Owner"], scope: "platform.keys").PutAsJsonAsync("/v1/residency/organization", body),
            HttpStatusCode.Forbidden, "insufficient-scope");
        await ProblemAsync(await fixture.Client(null).GetAsync("/v1/residency/organization"), HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Equal("multi-region", (await ResidencyAsync()).GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Services_read_any_organizations_residency_with_their_token_and_users_cannot()
    {
        using (var owner = Owner()) Assert.Equal(HttpStatusCode.OK, (await owner.PutAsJsonAsync("/v1/residency/organization", new { mode = "single-region", region = "apac" })).StatusCode);
        using var service = fixture.Client(ResidencyServiceFixture.GatewayToken);
        var residency = await service.GetFromJsonAsync<JsonElement>($"/internal/v1/residency/organizations/{organization}");
        Assert.Equal("apac", residency.GetProperty("region").GetString());
        Assert.Equal(["apac"], residency.GetProperty("allowedRegions").EnumerateArray().Select(r => r.GetString()));

        await ProblemAsync(await Owner().GetAsync($"/internal/v1/residency/organizations/{organization}"), HttpStatusCode.Unauthorized, "unauthenticated");
        using var forged = fixture.Client("residency-gateway-token-0123456789-0123456789-x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync($"/internal/v1/residency/organizations/{organization}")).StatusCode);
    }
}
