using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// Issue 16 item 6, the register of data-subject requests, through the gateway over HTTPS with identity's tokens: a
/// request about a member found by email at identity with the caller's token, due in a month, extended once; a person
/// of another organization, another organization's request and a second extension are refused, changing nothing.
/// </summary>
[Collection(Collections.Retention)]
public sealed class SubjectRequestsThroughGatewayTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task An_owner_registers_and_extends_a_request_about_a_member_and_cannot_reach_another_organizations_people_or_requests()
    {
        var organization = await RetentionOrganization.CreateAsync(fixture);
        var other = await RetentionOrganization.CreateAsync(fixture);
        using var api = organization.Api();
        using var otherApi = other.Api();

        var created = await JsonAsync(await api.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "portability", email = organization.Owner.Email.ToUpperInvariant() }), HttpStatusCode.Created);
        Assert.Equal(organization.OwnerUserId, created.GetProperty("subjectUserId").GetString());
        var received = created.GetProperty("receivedAt").GetDateTimeOffset();
        Assert.Equal(received.AddMonths(1), created.GetProperty("dueAt").GetDateTimeOffset());
        var id = created.GetProperty("id").GetString()!;

        // Someone the organization does not hold: the other organization's owner, by id and by email.
        foreach (var body in new object[] { new { type = "erasure", userId = other.OwnerUserId }, new { type = "access", email = other.Owner.Email } })
        {
            Assert.Equal(Problems + "subject-not-found", (await JsonAsync(await api.PostAsJsonAsync("/v1/retention/subject-requests", body), HttpStatusCode.NotFound)).GetProperty("type").GetString());
        }

        // The other organization's owner cannot read or extend it.
        Assert.Equal(HttpStatusCode.NotFound, (await otherApi.GetAsync($"/v1/retention/subject-requests/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await otherApi.PostAsJsonAsync($"/v1/retention/subject-requests/{id}/extend", new { reason = "mine" })).StatusCode);
        Assert.Empty((await JsonAsync(await otherApi.GetAsync("/v1/retention/subject-requests"), HttpStatusCode.OK)).GetProperty("items").EnumerateArray());

        var extended = await JsonAsync(await api.PostAsJsonAsync($"/v1/retention/subject-requests/{id}/extend", new { reason = "Archive spans three regions" }), HttpStatusCode.OK);
        // Stored deadlines keep PostgreSQL's microseconds.
        Assert.InRange(extended.GetProperty("dueAt").GetDateTimeOffset(), received.AddMonths(3).AddMilliseconds(-1), received.AddMonths(3).AddMilliseconds(1));
        Assert.Equal(Problems + "subject-request-already-extended",
            (await JsonAsync(await api.PostAsJsonAsync($"/v1/retention/subject-requests/{id}/extend", new { reason = "Again" }), HttpStatusCode.Conflict)).GetProperty("type").GetString());

        var list = await JsonAsync(await api.GetAsync("/v1/retention/subject-requests"), HttpStatusCode.OK);
        var only = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal("Archive spans three regions", only.GetProperty("extensionReason").GetString());
        Assert.False(only.GetProperty("overdue").GetBoolean());
        var audit = await fixture.App.AuditEntryAsync($"organization={organization.Id}&action=subject-request.extended&target={id}");
        Assert.Equal(organization.OwnerUserId, audit.GetProperty("actor").GetString());
    }
}
