using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Retention.Tests.Infrastructure;

namespace Platform.Retention.Tests.Service;

/// <summary>
/// SPEC RET-DSAR's register at the service, on the fake clock: a request about a member (by id or email) is due one
/// month after receipt, extendable once by two months with a reason, shown overdue past its deadline; a person the
/// organization does not hold, extending twice and another organization's request are refused, changing nothing.
/// </summary>
[Collection(RetentionServiceCollection.Name)]
public sealed class SubjectRequestsTests(RetentionServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    // PostgreSQL keeps microseconds; the fake clock has ticks.
    private static void AssertNear(DateTimeOffset expected, DateTimeOffset actual) => Assert.InRange(actual, expected.AddMilliseconds(-1), expected.AddMilliseconds(1));

    [Fact]
    public async Task A_request_about_a_member_is_due_in_a_month_extended_once_by_two_and_shown_overdue_after()
    {
        fixture.Neighbours.AddMember(organization, "usr_subject");
        using var admin = fixture.UserClient(organization, ["Admin"]);
        var received = fixture.Clock.GetUtcNow();
        var created = await JsonAsync(await admin.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "access", email = "USR_SUBJECT@example.com" }), HttpStatusCode.Created);
        Assert.Equal("usr_subject", created.GetProperty("subjectUserId").GetString());
        Assert.Equal(received.AddMonths(1), created.GetProperty("dueAt").GetDateTimeOffset());
        Assert.False(created.GetProperty("overdue").GetBoolean());
        var id = created.GetProperty("id").GetString()!;

        var byId = await JsonAsync(await admin.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "erasure", userId = "usr_subject" }), HttpStatusCode.Created);
        Assert.Equal("erasure", byId.GetProperty("type").GetString());

        var extended = await JsonAsync(await admin.PostAsJsonAsync($"/v1/retention/subject-requests/{id}/extend", new { reason = "Thousands of objects to review" }), HttpStatusCode.OK);
        AssertNear(received.AddMonths(3), extended.GetProperty("dueAt").GetDateTimeOffset());
        Assert.Equal("Thousands of objects to review", extended.GetProperty("extensionReason").GetString());

        var twice = await JsonAsync(await admin.PostAsJsonAsync($"/v1/retention/subject-requests/{id}/extend", new { reason = "Again" }), HttpStatusCode.Conflict);
        Assert.Equal(Problems + "subject-request-already-extended", twice.GetProperty("type").GetString());
        AssertNear(received.AddMonths(3), (await JsonAsync(await admin.GetAsync($"/v1/retention/subject-requests/{id}"), HttpStatusCode.OK)).GetProperty("dueAt").GetDateTimeOffset());

        // Past one month the unextended one is overdue; past three, both.
        await fixture.AdvanceAsync(received.AddMonths(1) - received + TimeSpan.FromMinutes(1));
        using var later = fixture.UserClient(organization, ["Admin"]);
        var list = await JsonAsync(await later.GetAsync("/v1/retention/subject-requests"), HttpStatusCode.OK);
        Assert.Equal(1, list.GetProperty("overdue").GetInt32());
        Assert.True(list.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetString() == byId.GetProperty("id").GetString()).GetProperty("overdue").GetBoolean());
        Assert.False(list.GetProperty("items").EnumerateArray().Single(r => r.GetProperty("id").GetString() == id).GetProperty("overdue").GetBoolean());

        var audit = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "subject-request.extended");
        Assert.Equal(id, audit.GetProperty("target").GetString());
    }

    [Fact]
    public async Task Someone_the_organization_does_not_hold_another_organizations_request_and_bad_input_are_refused_and_nothing_changes()
    {
        var other = $"org_{Guid.NewGuid():n}";
        fixture.Neighbours.AddMember(other, "usr_elsewhere");
        fixture.Neighbours.AddMember(organization, "usr_here");
        using var owner = fixture.UserClient(organization, ["Owner"]);
        foreach (var body in new object[] { new { type = "access", userId = "usr_elsewhere" }, new { type = "erasure", email = "nobody@example.com" } })
        {
            var refused = await JsonAsync(await owner.PostAsJsonAsync("/v1/retention/subject-requests", body), HttpStatusCode.NotFound);
            Assert.Equal(Problems + "subject-not-found", refused.GetProperty("type").GetString());
        }

        foreach (var body in new object[] { new { type = "deletion", userId = "usr_here" }, new { type = "access" }, new { type = "access", userId = "usr_here", email = "usr_here@example.com" } })
        {
            Assert.Equal(Problems + "invalid-request", (await JsonAsync(await owner.PostAsJsonAsync("/v1/retention/subject-requests", body), HttpStatusCode.BadRequest)).GetProperty("type").GetString());
        }

        using (var developer = fixture.UserClient(organization, ["Developer"]))
            Assert.Equal(HttpStatusCode.Forbidden, (await developer.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "access", userId = "usr_here" })).StatusCode);
        using (var stale = fixture.UserClient(organization, ["Owner"], mfa: false))
            Assert.Equal(HttpStatusCode.Unauthorized, (await stale.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "access", userId = "usr_here" })).StatusCode);
        Assert.Empty((await JsonAsync(await owner.GetAsync("/v1/retention/subject-requests"), HttpStatusCode.OK)).GetProperty("items").EnumerateArray());

        using var otherOwner = fixture.UserClient(other, ["Owner"]);
        var theirs = (await JsonAsync(await otherOwner.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "access", userId = "usr_elsewhere" }), HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/v1/retention/subject-requests/{theirs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PostAsJsonAsync($"/v1/retention/subject-requests/{theirs}/extend", new { reason = "mine" })).StatusCode);
        Assert.Equal(JsonValueKind.Null, (await JsonAsync(await otherOwner.GetAsync($"/v1/retention/subject-requests/{theirs}"), HttpStatusCode.OK)).GetProperty("extendedAt").ValueKind);
    }
}
