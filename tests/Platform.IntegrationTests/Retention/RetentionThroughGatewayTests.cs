using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// Issue 16 items 1 and 4 end to end: an organization's people reach the retention service through the gateway over
/// HTTPS with identity's tokens; the gateway and the service each check scope, role and step-up; changes reach the
/// audit log.
/// </summary>
[Collection(Collections.Retention)]
public sealed class RetentionThroughGatewayTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task An_owner_with_a_fresh_second_factor_reads_and_changes_retention_within_the_plan_and_it_is_audited()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        using var api = organization.Api();

        var policies = await JsonAsync(await api.GetAsync("/v1/retention/policies"), HttpStatusCode.OK);
        Assert.Equal(organization.Id, policies.GetProperty("organizationId").GetString());
        Assert.Equal("self-service", policies.GetProperty("plan").GetString());
        var detection = policies.GetProperty("items").EnumerateArray().Single(p => p.GetProperty("dataClass").GetString() == "detection_result");
        Assert.Equal(30, detection.GetProperty("days").GetInt32());

        var changed = await JsonAsync(await api.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 14 }), HttpStatusCode.OK);
        Assert.Equal(14, changed.GetProperty("days").GetInt32());

        var refused = await JsonAsync(await api.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 365 }), HttpStatusCode.BadRequest);
        Assert.Equal(Problems + "retention-out-of-bounds", refused.GetProperty("type").GetString());
        Assert.Equal("maxDays", refused.GetProperty("bound").GetString());
        var unknown = await JsonAsync(await api.PutAsJsonAsync("/v1/retention/policies/selfies", new { days = 1 }), HttpStatusCode.BadRequest);
        Assert.Equal(Problems + "unknown-data-class", unknown.GetProperty("type").GetString());

        // The operator opens the enterprise range on the service's own endpoint; the public edge never shows it.
        using (var edge = organization.Api())
        using (var throughGateway = await edge.PutAsJsonAsync($"/v1/retention/organizations/{organization.Id}/plan", new { plan = "enterprise" }))
        {
            Assert.Equal(HttpStatusCode.NotFound, throughGateway.StatusCode);
        }

        using var retentionOperator = fixture.App.RetentionOperator();
        await JsonAsync(await retentionOperator.PutAsJsonAsync($"/v1/retention/organizations/{organization.Id}/plan", new { plan = "enterprise" }), HttpStatusCode.OK);
        await JsonAsync(await api.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 365 }), HttpStatusCode.OK);

        var audit = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=retention.policy.changed");
        Assert.Equal(organization.OwnerUserId, audit.GetProperty("actor").GetString());
        Assert.False(string.IsNullOrEmpty(audit.GetProperty("ip").GetString()));
        var refusal = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=request.refused");
        Assert.Equal(organization.OwnerUserId, refusal.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Holds_on_a_dataset_a_member_a_class_and_the_organization_are_placed_listed_released_and_audited()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        var dataset = await organization.DatasetAsync();
        using var api = organization.Api();

        var holds = new List<JsonElement>();
        foreach (var body in new object[]
        {
            new { scope = "dataset", target = dataset, reason = "Litigation hold 17" },
            new { scope = "user", target = organization.OwnerUserId, reason = "Custodian" },
            new { scope = "data_class", target = "image", reason = "Regulator" },
            new { scope = "organization", reason = "Everything" },
        })
        {
            holds.Add(await JsonAsync(await api.PostAsJsonAsync("/v1/retention/holds", body), HttpStatusCode.Created));
        }

        var listed = await JsonAsync(await api.GetAsync("/v1/retention/holds"), HttpStatusCode.OK);
        Assert.Equal(holds.Select(h => h.GetProperty("id").GetString()).Order(), listed.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("id").GetString()).Order());

        var missing = await JsonAsync(await api.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "ds_00000000000000000000000000000000", reason = "x" }), HttpStatusCode.NotFound);
        Assert.Equal(Problems + "hold-target-not-found", missing.GetProperty("type").GetString());

        var id = holds[0].GetProperty("id").GetString();
        var released = await JsonAsync(await api.PostAsJsonAsync($"/v1/retention/holds/{id}/release", new { reason = "Settled" }), HttpStatusCode.OK);
        Assert.Equal("released", released.GetProperty("status").GetString());

        var placed = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=legal-hold.placed&target={holds[1].GetProperty("id").GetString()}");
        Assert.Equal(organization.OwnerUserId, placed.GetProperty("actor").GetString());
        await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=legal-hold.released&target={id}");
    }

    [Fact]
    public async Task Members_read_policies_but_only_an_owner_or_admin_with_a_recent_second_factor_changes_them_or_holds()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        var developerToken = await organization.MemberTokenAsync("Developer");
        var adminWithoutMfa = await organization.MemberTokenAsync("Admin");

        using var developer = organization.Api(developerToken);
        await JsonAsync(await developer.GetAsync("/v1/retention/policies"), HttpStatusCode.OK);
        var role = await JsonAsync(await developer.PutAsJsonAsync("/v1/retention/policies/image", new { days = 0 }), HttpStatusCode.Forbidden);
        Assert.Equal(Problems + "insufficient-role", role.GetProperty("type").GetString());
        await JsonAsync(await developer.GetAsync("/v1/retention/holds"), HttpStatusCode.Forbidden);

        using var admin = organization.Api(adminWithoutMfa);
        await JsonAsync(await admin.GetAsync("/v1/retention/holds"), HttpStatusCode.OK);
        using var stepUp = await admin.PostAsJsonAsync("/v1/retention/holds", new { scope = "organization", reason = "x" });
        var problem = await JsonAsync(stepUp, HttpStatusCode.Unauthorized);
        Assert.Equal(Problems + "step-up-required", problem.GetProperty("type").GetString());
        Assert.Contains("insufficient_user_authentication", stepUp.Headers.WwwAuthenticate.ToString());

        // A token without the organizations scope reaches nothing here.
        using var keysOnly = organization.Api(await organization.Owner.AccessTokenAsync(organization.Client, "openid platform.keys"));
        await JsonAsync(await keysOnly.GetAsync("/v1/retention/policies"), HttpStatusCode.Forbidden);

        var holds = await JsonAsync(await organization.Api().GetAsync("/v1/retention/holds?status=all"), HttpStatusCode.OK);
        Assert.Empty(holds.GetProperty("items").EnumerateArray());
    }
}
