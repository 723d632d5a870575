using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Events;
using Platform.Retention.Purge;
using Platform.Retention.Tests.Infrastructure;

namespace Platform.Retention.Tests.Service;

/// <summary>
/// Purges beyond storage's expiring objects (issue 16 item 2), on the fake clock: the audit service's log classes are
/// asked for per organization with their cutoffs, and its answer becomes a signed receipt; a hold on a log class keeps
/// it out with one signed "skipped" receipt; an image the product marked processed under zero retention is asked for
/// at once; receipts page with a stable cursor; a burst of deletions marks what is gone.
/// </summary>
[Collection(RetentionServiceCollection.Name)]
public sealed class PurgeEverywhereTests(RetentionServiceFixture fixture)
{
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private IEventPublisher Publisher => fixture.Service.Services.GetRequiredService<IEventPublisher>();

    private async Task PassAsync()
    {
        await fixture.Service.Services.GetRequiredService<PurgePass>().RunAsync(CancellationToken.None);
        await fixture.WaitForOutboxAsync();
    }

    private JsonElement[] Requests(string owner) => fixture.Events.All.Where(e => e.RoutingKey == "purge.requested").Select(e => JsonDocument.Parse(e.Body).RootElement)
        .Where(e => e.GetProperty("organizationId").GetString() == organization && e.GetProperty("owner").GetString() == owner).ToArray();

    [Fact]
    public async Task The_audit_services_log_classes_are_asked_for_with_their_cutoffs_answered_with_a_signed_receipt_and_a_held_class_is_skipped_once()
    {
        using var owner = fixture.UserClient(organization, ["Owner"]);
        using (var policy = await owner.PutAsJsonAsync("/v1/retention/policies/request_log", new { days = 10 })) Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        using (var refused = await owner.PutAsJsonAsync("/v1/retention/policies/audit_log", new { days = 30 })) Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        await PassAsync();
        var request = Assert.Single(Requests("audit"));
        var now = fixture.Clock.GetUtcNow();
        var items = request.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("itemId").GetString()!);
        Assert.Equal(now.AddDays(-90), items["audit_log"].GetProperty("expiredAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        Assert.Equal(now.AddDays(-10), items["request_log"].GetProperty("expiredAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        Assert.Contains("10 days", items["request_log"].GetProperty("policy").GetString());

        // Asked once per LogInterval (1 h), not every pass; an answer naming another purge changes nothing.
        await PassAsync();
        Assert.Single(Requests("audit"));
        var purgeId = request.GetProperty("purgeId").GetString()!;
        var deletedAt = fixture.Clock.GetUtcNow();
        await Publisher.PublishAsync(new PurgeCompleted
        {
            OrganizationId = organization, OccurredAt = deletedAt, PurgeId = "purge_not_asked", Owner = "audit",
            Items = [new("audit_log", PurgeOutcomes.Deleted, deletedAt, null, 99, "forged")],
        }, CancellationToken.None);
        await Publisher.PublishAsync(new PurgeCompleted
        {
            OrganizationId = organization, OccurredAt = deletedAt, PurgeId = purgeId, Owner = "audit",
            Items = [new("audit_log", PurgeOutcomes.Deleted, deletedAt, null, 7, "leaves 0..6 removed; verification starts at the signed tree size 7, root AAAA"), new("request_log", PurgeOutcomes.Absent, null, null)],
        }, CancellationToken.None);
        var audited = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == PurgeCompletedHandler.PurgedAction);
        Assert.Equal("7", audited.GetProperty("details").GetProperty("entries").GetString());

        var receipts = await owner.GetFromJsonAsync<JsonElement>("/v1/retention/receipts");
        var signed = Assert.Single(receipts.GetProperty("items").EnumerateArray());
        var text = signed.GetProperty("receipt").GetString()!;
        Assert.True(ReceiptSigner.Verify(receipts.GetProperty("verifierKey").GetString()!, text, signed.GetProperty("signature").GetString()!));
        var receipt = JsonDocument.Parse(text).RootElement;
        Assert.Equal($"audit:{organization}:audit_log:{purgeId}", receipt.GetProperty("itemId").GetString());
        Assert.Equal("audit_log", receipt.GetProperty("dataClass").GetString());
        Assert.Equal(7, receipt.GetProperty("entries").GetInt64());
        Assert.Contains("signed tree size 7", receipt.GetProperty("anchor").GetString());

        // A hold on the request_log class: the next request (an hour on) asks for audit_log only, and the held class gets
        // one signed skipped receipt naming the hold, not one per pass.
        using (var hold = await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "data_class", target = "request_log", reason = "Investigation" }))
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        var holdId = (await owner.GetFromJsonAsync<JsonElement>("/v1/retention/holds")).GetProperty("items")[0].GetProperty("id").GetString()!;
        for (var hour = 0; hour < 2; hour++)
        {
            await fixture.AdvanceAsync(TimeSpan.FromMinutes(61));
            await PassAsync();
            var last = Requests("audit").Last();
            Assert.Equal(["audit_log"], last.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!));
            await Publisher.PublishAsync(new PurgeCompleted
            {
                OrganizationId = organization, OccurredAt = fixture.Clock.GetUtcNow(), PurgeId = last.GetProperty("purgeId").GetString()!, Owner = "audit",
                Items = [new("audit_log", PurgeOutcomes.Absent, null, null)],
            }, CancellationToken.None);
        }

        Assert.Equal(3, Requests("audit").Length);
        using var later = fixture.UserClient(organization, ["Owner"]);
        var skipped = Assert.Single((await later.GetFromJsonAsync<JsonElement>("/v1/retention/receipts")).GetProperty("items").EnumerateArray(),
            r => r.GetProperty("kind").GetString() == "skipped");
        var skip = JsonDocument.Parse(skipped.GetProperty("receipt").GetString()!).RootElement;
        Assert.Equal($"legal hold {holdId}", skip.GetProperty("skipped").GetString());
        Assert.Equal($"audit:{organization}:request_log", skip.GetProperty("itemId").GetString());
    }

    [Fact]
    public async Task An_image_the_product_marked_processed_under_zero_retention_is_asked_for_at_once_and_another_organizations_mark_counts_for_nothing()
    {
        foreach (var id in new[] { "obj_processed", "obj_unmarked" })
        {
            await Publisher.PublishAsync(new ObjectStored
            {
                OrganizationId = organization, OccurredAt = fixture.Clock.GetUtcNow(), DatasetId = "ds_a", ObjectId = $"{id}_{organization[4..12]}", DataClass = "image", StoredBy = "key_writer",
            }, CancellationToken.None);
        }

        var processed = $"obj_processed_{organization[4..12]}";
        await Publisher.PublishAsync(new ObjectProcessed { OrganizationId = $"org_{Guid.NewGuid():n}", OccurredAt = fixture.Clock.GetUtcNow(), ObjectId = processed }, CancellationToken.None);
        await WaitAsync("SELECT count(*) FROM tracked_objects WHERE organization_id = $1", 2);
        await PassAsync();
        Assert.Empty(Requests("storage"));

        await Publisher.PublishAsync(new ObjectProcessed { OrganizationId = organization, OccurredAt = fixture.Clock.GetUtcNow(), ObjectId = processed }, CancellationToken.None);
        await WaitAsync("SELECT count(*) FROM tracked_objects WHERE organization_id = $1 AND processed_at IS NOT NULL", 1);
        await PassAsync();
        var request = Assert.Single(Requests("storage"));
        var item = Assert.Single(request.GetProperty("items").EnumerateArray());
        Assert.Equal(processed, item.GetProperty("itemId").GetString());
        Assert.Equal(fixture.Clock.GetUtcNow(), item.GetProperty("expiredAt").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task A_burst_of_deletions_marks_each_tracked_object_gone_at_its_own_events_time_and_a_second_deletion_moves_nothing()
    {
        var ids = Enumerable.Range(0, 300).Select(i => $"obj_burst{i}_{organization[4..12]}").ToArray();
        var storedAt = fixture.Clock.GetUtcNow();
        foreach (var id in ids)
        {
            await Publisher.PublishAsync(new ObjectStored
            {
                OrganizationId = organization, OccurredAt = storedAt, DatasetId = "ds_a", ObjectId = id, DataClass = "image", StoredBy = "key_writer",
            }, CancellationToken.None);
        }

        await WaitAsync("SELECT count(*) FROM tracked_objects WHERE organization_id = $1", ids.Length);

        // Every deletion at once, as a closure sends them; then the first object's again, later: its first time stays.
        var deletedAt = storedAt.AddMinutes(1);
        await Task.WhenAll(ids.Select((id, i) => Publisher.PublishAsync(
            new ObjectDeleted { OrganizationId = organization, OccurredAt = deletedAt.AddSeconds(i), ObjectId = id }, CancellationToken.None)));
        var again = new ObjectDeleted { OrganizationId = organization, OccurredAt = deletedAt.AddHours(1), ObjectId = ids[0] };
        await Publisher.PublishAsync(again, CancellationToken.None);
        await WaitAsync("SELECT count(*) FROM tracked_objects WHERE organization_id = $1 AND gone_at IS NOT NULL", ids.Length);
        await WaitAsync("SELECT count(*) FROM inbox WHERE event_id = $1", 1, again.Id);

        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using var read = dataSource.CreateCommand("SELECT object_id, gone_at FROM tracked_objects WHERE organization_id = $1");
        read.Parameters.Add(new() { Value = organization });
        var gone = new Dictionary<string, DateTimeOffset>();
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) gone[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }

        Assert.All(ids.Select((id, i) => (id, i)), o => Assert.Equal(deletedAt.AddSeconds(o.i), gone[o.id], TimeSpan.FromMilliseconds(1)));
    }

    [Fact]
    public async Task Receipts_page_newest_first_with_a_stable_cursor_until_every_one_is_listed_and_a_bad_cursor_is_a_400_problem()
    {
        await using (var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb")))
        {
            for (var i = 0; i < 5; i++)
            {
                await using var insert = dataSource.CreateCommand("""
                    INSERT INTO purge_receipts (item_id, organization_id, owner, data_class, expired_at, deleted_at, policy, purge_id, receipt, signature, recorded_at)
                    VALUES ($1, $2, 'storage', 'image', now(), now(), 'image: 0 days', 'purge_x', $3, 'sig', now())
                    """);
                insert.Parameters.Add(new() { Value = $"obj_{i}_{organization}" });
                insert.Parameters.Add(new() { Value = organization });
                insert.Parameters.Add(new() { Value = $"{{\"itemId\":\"obj_{i}\"}}" });
                await insert.ExecuteNonQueryAsync();
            }
        }

        using var owner = fixture.UserClient(organization, ["Owner"]);
        var seen = new List<string>();
        string? next = "/v1/retention/receipts?limit=2";
        var pages = 0;
        while (next is not null)
        {
            var page = await owner.GetFromJsonAsync<JsonElement>(next);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(r => r.GetProperty("receipt").GetString()!));
            next = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => $"{{\"itemId\":\"obj_{i}\"}}"), seen);

        foreach (var bad in new[] { "after=abc", "after=rcpt_-1", "after=rcpt_0", "after=rcpt_1x", "after=", "limit=0", "limit=501" })
        {
            using var refused = await owner.GetAsync($"/v1/retention/receipts?{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>Until <paramref name="sql"/>, with <c>$1</c> the organization unless another value is given, counts <paramref name="count"/>.</summary>
    private async Task WaitAsync(string sql, long count, string? parameter = null)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new() { Value = parameter ?? organization });
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while ((long)(await command.ExecuteScalarAsync())! < count)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"not {count} within 15 s: {sql}");
            await Task.Delay(50);
        }
    }
}
