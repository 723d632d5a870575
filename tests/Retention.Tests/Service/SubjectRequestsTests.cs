using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Dsar;
using Platform.Retention.Purge;
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

    private IEventPublisher Publisher => fixture.Service.Services.GetRequiredService<IEventPublisher>();

    private SubjectExportAnswered Part(string id, string participant, Dictionary<string, JsonElement> sections, string? organizationId = null) => new()
    {
        OrganizationId = organizationId ?? organization, OccurredAt = fixture.Clock.GetUtcNow(), RequestId = id, Participant = participant, Sections = sections,
    };

    private int Asks(string id, bool uploaders) => fixture.Events.All
        .Where(e => e.RoutingKey == "subject-request.export-requested")
        .Select(e => JsonDocument.Parse(e.Body).RootElement)
        .Count(e => e.GetProperty("requestId").GetString() == id && (e.TryGetProperty("actors", out var actors) && actors.ValueKind == JsonValueKind.Array) == uploaders);

    private async Task<JsonElement> PartsAsync(HttpClient client, string id, int answered)
    {
        var since = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var request = await client.GetFromJsonAsync<JsonElement>($"/v1/retention/subject-requests/{id}");
            if (request.GetProperty("parts").EnumerateArray().Count(p => p.GetProperty("answeredAt").ValueKind != JsonValueKind.Null) >= answered) return request;
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(15), $"Not {answered} answers within 15 s: {request}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task An_archive_waits_for_every_service_shows_the_missing_part_asks_it_again_and_is_sealed_and_signed_once_complete()
    {
        fixture.Neighbours.AddMember(organization, "usr_gathered");
        using var admin = fixture.UserClient(organization, ["Admin"]);
        var created = await JsonAsync(await admin.PostAsJsonAsync("/v1/retention/subject-requests", new { type = "access", userId = "usr_gathered", includeObjects = true }), HttpStatusCode.Created);
        var id = created.GetProperty("id").GetString()!;
        var ask = await fixture.Events.WaitForAsync("subject-request.export-requested", e => e.GetProperty("requestId").GetString() == id);
        Assert.True(ask.GetProperty("includeObjects").GetBoolean());
        Assert.Equal("usr_gathered", ask.GetProperty("subjectUserId").GetString());

        var profile = JsonSerializer.SerializeToElement(new[] { new { userId = "usr_gathered", email = "usr_gathered@example.com" } });
        await Publisher.PublishAsync(Part(id, "identity", new() { ["profile"] = profile }), CancellationToken.None);
        await Publisher.PublishAsync(Part(id, "keys", new() { ["apiKeys"] = JsonSerializer.SerializeToElement(new[] { new { id = "key_1" } }) }), CancellationToken.None);
        await Publisher.PublishAsync(Part(id, "audit", new() { ["auditEntries"] = JsonSerializer.SerializeToElement(Array.Empty<object>()) }), CancellationToken.None);
        // Strangers: a service that is not a participant, and a part naming another organization, count for nothing.
        await Publisher.PublishAsync(Part(id, "storage-mars", new() { ["objects"] = profile }), CancellationToken.None);
        await Publisher.PublishAsync(Part(id, "storage", new() { ["objects"] = profile }, organizationId: $"org_{Guid.NewGuid():n}"), CancellationToken.None);

        // Keys answered: storage is asked with the person and the keys they created as uploaders.
        var uploaders = await fixture.Events.WaitForAsync("subject-request.export-requested", e => e.GetProperty("requestId").GetString() == id && e.GetProperty("actors").ValueKind == JsonValueKind.Array);
        Assert.Equal(["usr_gathered", "key_1"], uploaders.GetProperty("actors").EnumerateArray().Select(a => a.GetString()!).ToArray());
        var waiting = await PartsAsync(admin, id, 3);
        Assert.Equal("open", waiting.GetProperty("status").GetString());
        var missing = Assert.Single(waiting.GetProperty("parts").EnumerateArray(), p => p.GetProperty("answeredAt").ValueKind == JsonValueKind.Null);
        Assert.Equal("storage", missing.GetProperty("participant").GetString());
        var notReady = await JsonAsync(await admin.GetAsync($"/v1/retention/subject-requests/{id}/archive"), HttpStatusCode.Conflict);
        Assert.Equal(Problems + "archive-not-ready", notReady.GetProperty("type").GetString());
        Assert.Contains("storage", notReady.GetProperty("detail").GetString());

        // Storage is silent: asked again (its round only) after the retry delay, never completed without it.
        Assert.Equal(1, Asks(id, uploaders: true));
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(5));
        Assert.True(await fixture.Service.Services.GetRequiredService<SubjectRequestPass>().RunAsync(CancellationToken.None) >= 1);
        await fixture.WaitForOutboxAsync();
        var since = System.Diagnostics.Stopwatch.StartNew();
        while (Asks(id, uploaders: true) < 2 && since.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.Equal(2, Asks(id, uploaders: true));
        Assert.Equal(1, Asks(id, uploaders: false));
        using var later = fixture.UserClient(organization, ["Admin"]);
        var again = await later.GetFromJsonAsync<JsonElement>($"/v1/retention/subject-requests/{id}");
        Assert.Equal(2, again.GetProperty("attempts").GetInt32());
        Assert.Equal("open", again.GetProperty("status").GetString());

        await Publisher.PublishAsync(Part(id, "storage", new() { ["objects"] = JsonSerializer.SerializeToElement(new[] { new { id = "obj_1" } }) }), CancellationToken.None);
        var completed = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "subject-request.completed" && e.GetProperty("target").GetString() == id);
        using var download = await later.GetAsync($"/v1/retention/subject-requests/{id}/archive");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var text = await download.Content.ReadAsStringAsync();
        var signature = download.Headers.GetValues("Platform-Archive-Signature").Single();
        Assert.Equal(signature, completed.GetProperty("details").GetProperty("archiveSignature").GetString());
        Assert.True(ReceiptSigner.Verify(download.Headers.GetValues("Platform-Archive-Verifier-Key").Single(), text, signature));
        var archive = JsonDocument.Parse(text).RootElement;
        Assert.Equal(["audit", "identity", "keys", "retention", "storage"], archive.GetProperty("services").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("obj_1", archive.GetProperty("services").GetProperty("storage").GetProperty("objects")[0].GetProperty("id").GetString());
        Assert.DoesNotContain("storage-mars", text, StringComparison.Ordinal);

        // At rest the archive is ciphertext bound to its request and organization.
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using var stored = dataSource.CreateCommand("SELECT ciphertext FROM subject_archives WHERE request_id = $1");
        stored.Parameters.Add(new() { Value = id });
        var ciphertext = (byte[])(await stored.ExecuteScalarAsync())!;
        Assert.DoesNotContain("usr_gathered", System.Text.Encoding.UTF8.GetString(ciphertext), StringComparison.Ordinal);
        var sealer = fixture.Service.Services.GetRequiredService<ArchiveSealer>();
        await using var nonce = dataSource.CreateCommand("SELECT nonce FROM subject_archives WHERE request_id = $1");
        nonce.Parameters.Add(new() { Value = id });
        var nonceBytes = (byte[])(await nonce.ExecuteScalarAsync())!;
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(sealer.Open(nonceBytes, ciphertext, id, organization)));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => sealer.Open(nonceBytes, ciphertext, id, $"org_{Guid.NewGuid():n}"));
    }
}
