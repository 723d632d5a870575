using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Retention.Tests.Infrastructure;

namespace Platform.Retention.Tests.Service;

/// <summary>SPEC RET-HOLD at the service: holds on what exists in the caller's organization only, no expiry, an explicit release, step-up and audit.</summary>
[Collection(RetentionServiceCollection.Name)]
public sealed class HoldsTests(RetentionServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private HttpClient Owner() => fixture.UserClient(organization, ["Owner"]);

    private static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal(Problems + slug, JsonDocument.Parse(text).RootElement.GetProperty("type").GetString());
    }

    private async Task<JsonElement[]> HoldsAsync(HttpClient client, string status = "active") =>
        (await client.GetFromJsonAsync<JsonElement>($"/v1/retention/holds?status={status}")).GetProperty("items").EnumerateArray().ToArray();

    [Fact]
    public async Task Holds_on_each_kind_of_target_are_placed_listed_and_stay_until_released_long_after()
    {
        fixture.Neighbours.AddDataset(organization, "ds_evidence");
        fixture.Neighbours.AddMember(organization, "usr_custodian");
        using var owner = Owner();

        var placed = new List<JsonElement>
        {
            await CreatedAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "organization", reason = "Litigation 2026-17" })),
            await CreatedAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "ds_evidence", reason = "Litigation 2026-17" })),
            await CreatedAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "detection_result", reason = "Regulator request" })),
            await CreatedAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "user", target = "usr_custodian", reason = "Custodian" })),
        };
        Assert.Equal(organization, placed[0].GetProperty("target").GetString());
        Assert.All(placed, h => Assert.Equal("active", h.GetProperty("status").GetString()));
        Assert.All(placed, h => Assert.StartsWith("hold_", h.GetProperty("id").GetString()));

        // The identity check used the caller's own token, and the storage check retention's storage credential.
        Assert.Contains(fixture.Neighbours.Requests, r => r.RequestUri!.AbsolutePath.EndsWith("/members", StringComparison.Ordinal)
            && r.Headers.Authorization!.Parameter != RetentionServiceFixture.StorageToken);
        Assert.Contains(fixture.Neighbours.Requests, r => r.RequestUri!.AbsolutePath.EndsWith("/datasets/ds_evidence", StringComparison.Ordinal)
            && r.Headers.Authorization!.Parameter == RetentionServiceFixture.StorageToken);

        // No expiry: ten years on, every hold is still active.
        await fixture.AdvanceAsync(TimeSpan.FromDays(3650));
        using var later = Owner();
        Assert.Equal(placed.Select(h => h.GetProperty("id").GetString()).Order(), (await HoldsAsync(later)).Select(h => h.GetProperty("id").GetString()).Order());

        var id = placed[1].GetProperty("id").GetString();
        using (var release = await later.PostAsJsonAsync($"/v1/retention/holds/{id}/release", new { reason = "Case closed" }))
        {
            Assert.Equal(HttpStatusCode.OK, release.StatusCode);
            var released = await release.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("released", released.GetProperty("status").GetString());
            Assert.Equal("Case closed", released.GetProperty("releaseReason").GetString());
        }

        Assert.DoesNotContain(await HoldsAsync(later), h => h.GetProperty("id").GetString() == id);
        Assert.Contains(await HoldsAsync(later, "all"), h => h.GetProperty("id").GetString() == id && h.GetProperty("status").GetString() == "released");
        await AssertProblemAsync(await later.PostAsJsonAsync($"/v1/retention/holds/{id}/release", new { reason = "Again" }), HttpStatusCode.Conflict, "hold-released");

        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "legal-hold.placed" && e.GetProperty("details").GetProperty("scope").GetString() == "user");
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "legal-hold.released" && e.GetProperty("target").GetString() == id);
        await fixture.Events.WaitForAsync("legal-hold.placed", e => e.GetProperty("organizationId").GetString() == organization && e.GetProperty("scope").GetString() == "dataset");
    }

    [Fact]
    public async Task A_hold_on_something_another_organization_has_or_nothing_has_is_a_404_and_holds_nothing()
    {
        var other = $"org_{Guid.NewGuid():n}";
        fixture.Neighbours.AddDataset(other, "ds_theirs");
        fixture.Neighbours.AddMember(other, "usr_theirs");
        using var owner = Owner();

        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "organization", target = other, reason = "x" }), HttpStatusCode.NotFound, "hold-target-not-found");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "ds_theirs", reason = "x" }), HttpStatusCode.NotFound, "hold-target-not-found");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "ds_nothing", reason = "x" }), HttpStatusCode.NotFound, "hold-target-not-found");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "user", target = "usr_theirs", reason = "x" }), HttpStatusCode.NotFound, "hold-target-not-found");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "selfies", reason = "x" }), HttpStatusCode.BadRequest, "unknown-data-class");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "bucket", target = "b", reason = "x" }), HttpStatusCode.BadRequest, "invalid-request");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", reason = "x" }), HttpStatusCode.BadRequest, "invalid-request");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "../ds", reason = "x" }), HttpStatusCode.BadRequest, "invalid-request");
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "organization", reason = " " }), HttpStatusCode.BadRequest, "invalid-request");
        Assert.Empty(await HoldsAsync(owner, "all"));

        // Another organization's hold cannot be seen or released either.
        using var theirOwner = fixture.UserClient(other, ["Owner"]);
        var theirs = await CreatedAsync(await theirOwner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "ds_theirs", reason = "Their case" }));
        await AssertProblemAsync(await owner.PostAsJsonAsync($"/v1/retention/holds/{theirs.GetProperty("id").GetString()}/release", new { reason = "mine now" }), HttpStatusCode.NotFound, "not-found");
        Assert.Empty(await HoldsAsync(owner, "all"));
        Assert.Equal("active", Assert.Single(await HoldsAsync(theirOwner)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Placing_and_releasing_need_a_recent_second_factor_and_a_managing_role_and_one_active_hold_per_target()
    {
        using var owner = Owner();
        var hold = await CreatedAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "image", reason = "Audit" }));
        await AssertProblemAsync(await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "image", reason = "Twice" }), HttpStatusCode.Conflict, "hold-exists");

        using var stale = fixture.UserClient(organization, ["Owner"], authenticatedAgo: TimeSpan.FromMinutes(20));
        await AssertProblemAsync(await stale.PostAsJsonAsync($"/v1/retention/holds/{hold.GetProperty("id").GetString()}/release", new { reason = "x" }), HttpStatusCode.Unauthorized, "step-up-required");
        await AssertProblemAsync(await stale.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "heatmap", reason = "x" }), HttpStatusCode.Unauthorized, "step-up-required");
        using var developer = fixture.UserClient(organization, ["Developer"]);
        await AssertProblemAsync(await developer.GetAsync("/v1/retention/holds"), HttpStatusCode.Forbidden, "insufficient-role");
        await AssertProblemAsync(await developer.PostAsJsonAsync($"/v1/retention/holds/{hold.GetProperty("id").GetString()}/release", new { reason = "x" }), HttpStatusCode.Forbidden, "insufficient-role");

        Assert.Equal("active", Assert.Single(await HoldsAsync(owner)).GetProperty("status").GetString());
    }
}
