using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Retention.Tests.Infrastructure;

namespace Platform.Retention.Tests.Service;

/// <summary>SPEC RET-POLICY at the service: periods per organization and class within the plan's bounds, refusals that change nothing.</summary>
[Collection(RetentionServiceCollection.Name)]
public sealed class PoliciesTests(RetentionServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private HttpClient Owner() => fixture.UserClient(organization, ["Owner"]);

    private async Task<JsonElement> PolicyAsync(HttpClient client, string dataClass)
    {
        var policies = await client.GetFromJsonAsync<JsonElement>("/v1/retention/policies");
        return policies.GetProperty("items").EnumerateArray().Single(p => p.GetProperty("dataClass").GetString() == dataClass);
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(Problems + slug, problem.GetProperty("type").GetString());
        return problem;
    }

    [Fact]
    public async Task Every_member_reads_the_default_policy_of_every_class_of_the_shared_list_with_its_bounds()
    {
        using var developer = fixture.UserClient(organization, ["Developer"], mfa: false);
        var policies = await developer.GetFromJsonAsync<JsonElement>("/v1/retention/policies");

        Assert.Equal(organization, policies.GetProperty("organizationId").GetString());
        Assert.Equal("self-service", policies.GetProperty("plan").GetString());
        var items = policies.GetProperty("items").EnumerateArray().ToDictionary(p => p.GetProperty("dataClass").GetString()!);
        Assert.Equal(Platform.Messaging.Contracts.DataClasses.Names.Order(), items.Keys.Order());

        Assert.Equal((0, 0, 0), Days(items["image"]));
        Assert.Equal((30, 0, 30), Days(items["detection_result"]));
        Assert.Equal((30, 0, 30), Days(items["request_log"]));
        Assert.Equal((90, 90, 90), Days(items["audit_log"]));
        Assert.Equal((7, 0, 7), Days(items["heatmap"]));
        Assert.Equal("while-active", items["model_weights"].GetProperty("kind").GetString());
        Assert.False(items["annotation"].GetProperty("configurable").GetBoolean());
        Assert.Equal("legal-period", items["billing_record"].GetProperty("kind").GetString());
        Assert.Equal(2555, items["billing_record"].GetProperty("days").GetInt32());
        Assert.All(items.Values, p => Assert.Equal("default", p.GetProperty("source").GetString()));

        static (int, int, int) Days(JsonElement p) =>
            (p.GetProperty("days").GetInt32(), p.GetProperty("bounds").GetProperty("minDays").GetInt32(), p.GetProperty("bounds").GetProperty("maxDays").GetInt32());
    }

    [Fact]
    public async Task An_owner_shortens_a_period_within_the_plan_and_it_is_audited_and_announced()
    {
        using var owner = Owner();
        using var put = await owner.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 10 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var policy = await PolicyAsync(owner, "detection_result");
        Assert.Equal(10, policy.GetProperty("days").GetInt32());
        Assert.Equal("organization", policy.GetProperty("source").GetString());
        Assert.Equal("usr_retention_tests", policy.GetProperty("updatedBy").GetString());

        await fixture.Events.WaitForAsync("retention.policy-changed", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("dataClass").GetString() == "detection_result" && e.GetProperty("days").GetInt32() == 10);
        var audit = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "retention.policy.changed");
        Assert.Equal("usr_retention_tests", audit.GetProperty("actor").GetString());
        Assert.Equal("default", audit.GetProperty("details").GetProperty("previousDays").GetString());
        Assert.Equal("10", audit.GetProperty("details").GetProperty("days").GetString());
    }

    [Fact]
    public async Task A_period_outside_the_plan_is_a_problem_naming_the_bound_and_changes_nothing()
    {
        using var owner = Owner();
        using (var longer = await owner.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 31 }))
        {
            var problem = await ProblemAsync(longer, HttpStatusCode.BadRequest, "retention-out-of-bounds");
            Assert.Equal("maxDays", problem.GetProperty("bound").GetString());
            Assert.Equal(30, problem.GetProperty("maxDays").GetInt32());
            Assert.Equal("self-service", problem.GetProperty("plan").GetString());
            Assert.Contains("30", problem.GetProperty("detail").GetString());
        }

        using (var shorter = await owner.PutAsJsonAsync("/v1/retention/policies/audit_log", new { days = 30 }))
        {
            var problem = await ProblemAsync(shorter, HttpStatusCode.BadRequest, "retention-out-of-bounds");
            Assert.Equal("minDays", problem.GetProperty("bound").GetString());
            Assert.Equal(90, problem.GetProperty("minDays").GetInt32());
        }

        using (var negative = await owner.PutAsJsonAsync("/v1/retention/policies/image", new { days = -1 }))
        {
            await ProblemAsync(negative, HttpStatusCode.BadRequest, "retention-out-of-bounds");
        }

        Assert.Equal("default", (await PolicyAsync(owner, "detection_result")).GetProperty("source").GetString());
        Assert.Equal(90, (await PolicyAsync(owner, "audit_log")).GetProperty("days").GetInt32());
        var refusal = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("details").GetProperty("reason").GetString() == "retention-out-of-bounds");
        Assert.Equal("usr_retention_tests", refusal.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Unknown_classes_unconfigurable_classes_and_malformed_bodies_are_refused()
    {
        using var owner = Owner();
        using (var unknown = await owner.PutAsJsonAsync("/v1/retention/policies/selfies", new { days = 1 }))
        {
            var problem = await ProblemAsync(unknown, HttpStatusCode.BadRequest, "unknown-data-class");
            Assert.Contains("detection_result", problem.GetProperty("detail").GetString());
        }

        using (var fixedClass = await owner.PutAsJsonAsync("/v1/retention/policies/model_weights", new { days = 1 }))
        {
            await ProblemAsync(fixedClass, HttpStatusCode.BadRequest, "retention-not-configurable");
        }

        using (var misspelt = await owner.PutAsJsonAsync("/v1/retention/policies/image", new { dayz = 0 }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, misspelt.StatusCode);
        }

        using (var text = await owner.PutAsJsonAsync("/v1/retention/policies/image", new { days = "7" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, text.StatusCode);
        }

        Assert.All((await owner.GetFromJsonAsync<JsonElement>("/v1/retention/policies")).GetProperty("items").EnumerateArray(),
            p => Assert.Equal("default", p.GetProperty("source").GetString()));
    }

    [Fact]
    public async Task Changing_a_period_needs_an_owner_or_admin_with_a_recent_second_factor_and_the_organizations_scope()
    {
        using var developer = fixture.UserClient(organization, ["Developer"]);
        using var stale = fixture.UserClient(organization, ["Owner"], authenticatedAgo: TimeSpan.FromMinutes(20));
        using var passwordOnly = fixture.UserClient(organization, ["Owner"], mfa: false);
        using var keysScope = fixture.UserClient(organization, ["Owner"], scope: "platform.keys");
        using var anonymous = fixture.Client(null);

        await ProblemAsync(await developer.PutAsJsonAsync("/v1/retention/policies/image", new { days = 0 }), HttpStatusCode.Forbidden, "insufficient-role");
        using (var response = await stale.PutAsJsonAsync("/v1/retention/policies/image", new { days = 0 }))
        {
            await ProblemAsync(response, HttpStatusCode.Unauthorized, "step-up-required");
            Assert.Contains("insufficient_user_authentication", response.Headers.WwwAuthenticate.ToString());
        }

        await ProblemAsync(await passwordOnly.PutAsJsonAsync("/v1/retention/policies/image", new { days = 0 }), HttpStatusCode.Unauthorized, "step-up-required");
        await ProblemAsync(await keysScope.GetAsync("/v1/retention/policies"), HttpStatusCode.Forbidden, "insufficient-scope");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/v1/retention/policies")).StatusCode);
        // An operator credential is not a member of any organization: the policies API is for tokens only.
        using var operatorClient = fixture.Client(RetentionServiceFixture.OperatorToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await operatorClient.GetAsync("/v1/retention/policies")).StatusCode);
    }

    [Fact]
    public async Task An_enterprise_plan_set_by_an_operator_opens_the_range_and_a_narrower_plan_applies_the_period_within_its_bounds()
    {
        using var owner = Owner();
        using var root = fixture.Client(RetentionServiceFixture.OperatorToken);
        using (var plan = await root.PutAsJsonAsync($"/v1/retention/organizations/{organization}/plan", new { plan = "enterprise" }))
        {
            Assert.Equal(HttpStatusCode.OK, plan.StatusCode);
        }

        using (var sevenYears = await owner.PutAsJsonAsync("/v1/retention/policies/image", new { days = 2555 }))
        {
            Assert.Equal(HttpStatusCode.OK, sevenYears.StatusCode);
        }

        using (var beyond = await owner.PutAsJsonAsync("/v1/retention/policies/image", new { days = 2556 }))
        {
            Assert.Equal(2555, (await ProblemAsync(beyond, HttpStatusCode.BadRequest, "retention-out-of-bounds")).GetProperty("maxDays").GetInt32());
        }

        var enterprise = await PolicyAsync(owner, "image");
        Assert.Equal(2555, enterprise.GetProperty("days").GetInt32());
        Assert.Equal(2555, enterprise.GetProperty("bounds").GetProperty("maxDays").GetInt32());

        using (var back = await root.PutAsJsonAsync($"/v1/retention/organizations/{organization}/plan", new { plan = "self-service" }))
        {
            Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        }

        Assert.Equal(0, (await PolicyAsync(owner, "image")).GetProperty("days").GetInt32());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "retention.plan.changed" && e.GetProperty("actor").GetString() == "operator:root");
    }

    [Fact]
    public async Task Plans_are_operators_only_within_their_organizations_and_never_a_members()
    {
        using var tenant = fixture.Client(RetentionServiceFixture.TenantOperatorToken);
        await ProblemAsync(await tenant.PutAsJsonAsync($"/v1/retention/organizations/{organization}/plan", new { plan = "enterprise" }), HttpStatusCode.Forbidden, "forbidden");
        using var owner = Owner();
        Assert.Equal(HttpStatusCode.Unauthorized, (await owner.PutAsJsonAsync($"/v1/retention/organizations/{organization}/plan", new { plan = "enterprise" })).StatusCode);
        using var root = fixture.Client(RetentionServiceFixture.OperatorToken);
        await ProblemAsync(await root.PutAsJsonAsync($"/v1/retention/organizations/{organization}/plan", new { plan = "platinum" }), HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal("self-service", (await root.GetFromJsonAsync<JsonElement>($"/v1/retention/organizations/{organization}/plan")).GetProperty("plan").GetString());
    }
}
