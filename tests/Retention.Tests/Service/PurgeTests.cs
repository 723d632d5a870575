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
/// SPEC RET-PURGE at the service, on the fake clock: storage's events tell retention what exists; a pass asks storage
/// (here the test, answering as storage does) to delete what expired under the organization's policy, never what a
/// legal hold covers; the answer becomes signed receipts and audit entries; an unanswered request is asked again and reported.
/// </summary>
[Collection(RetentionServiceCollection.Name)]
public sealed class PurgeTests(RetentionServiceFixture fixture)
{
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private IEventPublisher Publisher => fixture.Service.Services.GetRequiredService<IEventPublisher>();

    private PurgePass Pass => fixture.Service.Services.GetRequiredService<PurgePass>();

    private async Task StoreAsync(string objectId, string dataClass, string dataset = "ds_a", string storedBy = "key_writer", string? org = null) =>
        await Publisher.PublishAsync(new ObjectStored
        {
            OrganizationId = org ?? organization, OccurredAt = fixture.Clock.GetUtcNow(), DatasetId = dataset, ObjectId = objectId, DataClass = dataClass, StoredBy = storedBy,
        }, CancellationToken.None);

    private async Task WaitTrackedAsync(int count, string? org = null)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM tracked_objects WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = org ?? organization });
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while ((long)(await command.ExecuteScalarAsync())! < count)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"retention did not track {count} objects within 15 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>The items of this test's organization in the purge requests the tap has seen, once there are at least <paramref name="atLeast"/>.</summary>
    private async Task<string[]> RequestedAsync(int atLeast = 0)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var items = fixture.Events.All.Where(e => e.RoutingKey == "purge.requested")
                .Select(e => JsonDocument.Parse(e.Body).RootElement)
                .Where(e => e.GetProperty("organizationId").GetString() == organization && e.GetProperty("owner").GetString() == "storage")
                .SelectMany(e => e.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!))
                .ToArray();
            if (items.Length >= atLeast || elapsed.Elapsed > TimeSpan.FromSeconds(15)) return items;
            await Task.Delay(50);
        }
    }

    /// <summary>Runs a pass; how many items of this test's organization it asked for (other tests' organizations share the service).</summary>
    private async Task<int> PassAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using var attempts = dataSource.CreateCommand("SELECT coalesce(sum(purge_attempts), 0)::int FROM tracked_objects WHERE organization_id = $1");
        attempts.Parameters.Add(new() { Value = organization });
        var before = (int)(await attempts.ExecuteScalarAsync())!;
        await Pass.RunAsync(CancellationToken.None);
        var after = (int)(await attempts.ExecuteScalarAsync())!;
        await fixture.WaitForOutboxAsync();
        return after - before;
    }

    [Fact]
    public async Task Expired_items_are_requested_by_policy_held_ones_never_and_the_answer_becomes_signed_receipts_and_audit_entries()
    {
        fixture.Neighbours.AddDataset(organization, "ds_held");
        fixture.Neighbours.AddMember(organization, "usr_custodian");
        using var owner = fixture.UserClient(organization, ["Owner"]);
        using (var policy = await owner.PutAsJsonAsync("/v1/retention/policies/detection_result", new { days = 10 })) Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
        foreach (var body in new object[] { new { scope = "dataset", target = "ds_held", reason = "Case" }, new { scope = "user", target = "usr_custodian", reason = "Custodian" } })
        {
            using var hold = await owner.PostAsJsonAsync("/v1/retention/holds", body);
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        }

        await StoreAsync("obj_det", "detection_result");
        await StoreAsync("obj_det_held", "detection_result", dataset: "ds_held");
        await StoreAsync("obj_det_custodian", "detection_result", storedBy: "usr_custodian");
        await StoreAsync("obj_weights", "model_weights");
        await WaitTrackedAsync(4);

        // Nine days on, nothing has expired.
        await fixture.AdvanceAsync(TimeSpan.FromDays(9));
        await PassAsync();
        Assert.Empty(await RequestedAsync());

        // Eleven days on, the detection result has; held ones and while-active classes are never asked for.
        await fixture.AdvanceAsync(TimeSpan.FromDays(2));
        Assert.Equal(1, await PassAsync());
        var request = await fixture.Events.WaitForAsync("purge.requested", e => e.GetProperty("organizationId").GetString() == organization && e.GetProperty("owner").GetString() == "storage");
        var item = Assert.Single(request.GetProperty("items").EnumerateArray());
        Assert.Equal("obj_det", item.GetProperty("itemId").GetString());
        Assert.Contains("10 days", item.GetProperty("policy").GetString());
        Assert.Equal(0, await PassAsync());

        // Storage answers; an outcome about an item retention never asked this organization for is ignored.
        var deletedAt = fixture.Clock.GetUtcNow();
        await Publisher.PublishAsync(new PurgeCompleted
        {
            OrganizationId = organization, OccurredAt = deletedAt, PurgeId = request.GetProperty("purgeId").GetString()!, Owner = "storage",
            Items = [new("obj_det", PurgeOutcomes.Deleted, deletedAt, "object data key of obj_det (wrapped under organization key v1)"), new("obj_det_held", PurgeOutcomes.Deleted, deletedAt, null)],
        }, CancellationToken.None);

        var audit = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "retention.item.purged");
        Assert.Equal("obj_det", audit.GetProperty("target").GetString());
        Assert.Equal("retention:purge", audit.GetProperty("actor").GetString());

        using var later = fixture.UserClient(organization, ["Owner"]);
        var receipts = await later.GetFromJsonAsync<JsonElement>("/v1/retention/receipts");
        var signed = Assert.Single(receipts.GetProperty("items").EnumerateArray(), r => r.GetProperty("kind").GetString() == "deleted");
        var text = signed.GetProperty("receipt").GetString()!;
        Assert.True(ReceiptSigner.Verify(receipts.GetProperty("verifierKey").GetString()!, text, signed.GetProperty("signature").GetString()!));
        Assert.False(ReceiptSigner.Verify(receipts.GetProperty("verifierKey").GetString()!, text.Replace("obj_det", "obj_dex"), signed.GetProperty("signature").GetString()!));
        var receipt = JsonDocument.Parse(text).RootElement;
        Assert.Equal("obj_det", receipt.GetProperty("itemId").GetString());
        Assert.Equal("detection_result", receipt.GetProperty("dataClass").GetString());
        Assert.Equal("ds_a", receipt.GetProperty("datasetId").GetString());
        Assert.Contains("object data key of obj_det", receipt.GetProperty("destroyedKey").GetString());
        Assert.True(receipt.GetProperty("expiredAt").GetDateTimeOffset() < receipt.GetProperty("deletedAt").GetDateTimeOffset());
        Assert.Equal(0, receipts.GetProperty("pendingPurges").GetInt64());

        // The held items expired too: each has one signed "skipped" receipt naming its hold, audited once, never again on
        // later passes.
        var holds = (await later.GetFromJsonAsync<JsonElement>("/v1/retention/holds")).GetProperty("items").EnumerateArray()
            .ToDictionary(h => h.GetProperty("target").GetString()!, h => h.GetProperty("id").GetString()!);
        var skipped = receipts.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("kind").GetString() == "skipped").ToArray();
        Assert.Equal(2, skipped.Length);
        Assert.All(skipped, s => Assert.True(ReceiptSigner.Verify(receipts.GetProperty("verifierKey").GetString()!, s.GetProperty("receipt").GetString()!, s.GetProperty("signature").GetString()!)));
        var skips = skipped.Select(s => JsonDocument.Parse(s.GetProperty("receipt").GetString()!).RootElement).ToDictionary(r => r.GetProperty("itemId").GetString()!);
        Assert.Equal($"legal hold {holds["ds_held"]}", skips["obj_det_held"].GetProperty("skipped").GetString());
        Assert.Equal($"legal hold {holds["usr_custodian"]}", skips["obj_det_custodian"].GetProperty("skipped").GetString());
        Assert.Equal("detection_result", skips["obj_det_held"].GetProperty("dataClass").GetString());
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == PurgeSkips.SkippedAction && e.GetProperty("target").GetString() == "obj_det_held");
        await fixture.AdvanceAsync(TimeSpan.FromDays(1));
        await PassAsync();
        using var dayLater = fixture.UserClient(organization, ["Owner"]);
        var again = await dayLater.GetFromJsonAsync<JsonElement>("/v1/retention/receipts");
        Assert.Equal(2, again.GetProperty("items").EnumerateArray().Count(r => r.GetProperty("kind").GetString() == "skipped"));
        Assert.Equal(2, fixture.Events.All.Count(e => e.RoutingKey == "audit.recorded" && e.Body.Contains(organization, StringComparison.Ordinal)
            && e.Body.Contains(PurgeSkips.SkippedAction, StringComparison.Ordinal)));

        // Another organization's owner sees none of it.
        using var other = fixture.UserClient($"org_{Guid.NewGuid():n}", ["Owner"]);
        Assert.Empty((await other.GetFromJsonAsync<JsonElement>("/v1/retention/receipts")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_zero_policy_image_goes_within_the_grace_and_an_unanswered_request_is_asked_again_and_reported()
    {
        await StoreAsync("obj_img", "image");
        await WaitTrackedAsync(1);

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(6));
        Assert.Equal(1, await PassAsync());
        Assert.Equal(0, await PassAsync());

        // Nobody answers: after the retry delay it is asked again, and (AlertAfterAttempts 1) reported as overdue.
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await PassAsync());
        Assert.Equal(["obj_img", "obj_img"], await RequestedAsync(atLeast: 2));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "retention.purge.overdue");
        using var owner = fixture.UserClient(organization, ["Owner"]);
        var status = await owner.GetFromJsonAsync<JsonElement>("/v1/retention/receipts");
        Assert.Equal(1, status.GetProperty("pendingPurges").GetInt64());
        Assert.Equal(1, status.GetProperty("overduePurges").GetInt64());

        // The second wait is twice the first.
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(0, await PassAsync());
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await PassAsync());
    }

    [Fact]
    public async Task A_pass_asks_batch_after_batch_in_turn_across_organizations_up_to_the_in_flight_bound_and_the_answers_make_room()
    {
        // BatchSize 2, MaxInFlight 7 (the fixture). Earlier tests' unanswered items would share the bound: they are
        // settled first (the collection's tests run one at a time, each with its own organizations).
        await using var dataSource = NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using (var settle = dataSource.CreateCommand("UPDATE tracked_objects SET gone_at = now() WHERE gone_at IS NULL"))
            await settle.ExecuteNonQueryAsync();
        var small = $"org_{Guid.NewGuid():n}";
        for (var i = 0; i < 5; i++)
        {
            await StoreAsync($"obj_big_{i}_{organization[4..12]}", "image");
            await StoreAsync($"obj_small_{i}_{small[4..12]}", "image", org: small);
        }

        await WaitTrackedAsync(5);
        await WaitTrackedAsync(5, small);

        await fixture.AdvanceAsync(TimeSpan.FromMinutes(6));

        // One pass: round one takes a batch of each, round two another of the first and one item of the second: seven in
        // flight, work left (the scheduler comes back after BusyInterval, not Interval).
        var first = await Pass.RunAsync(CancellationToken.None);
        Assert.Equal(new PurgePassResult(7, WorkLeft: true), first);
        await fixture.WaitForOutboxAsync();
        var counts = await RequestedCountsAsync(dataSource, small);
        Assert.Equal(7, counts.Values.Sum());
        Assert.InRange(counts[organization], 3, 4);
        Assert.InRange(counts[small], 3, 4);
        var answered = counts[organization];

        // Nothing answered: the bound holds, nothing more is asked.
        Assert.Equal(new PurgePassResult(0, WorkLeft: true), await Pass.RunAsync(CancellationToken.None));

        // Storage answers every request of both organizations in one message each; the answers make room and the next
        // pass asks for the rest, then none is left.
        var requests = fixture.Events.All.Where(e => e.RoutingKey == "purge.requested").Select(e => JsonDocument.Parse(e.Body).RootElement)
            .Where(e => e.GetProperty("organizationId").GetString() is { } o && (o == organization || o == small) && e.GetProperty("owner").GetString() == "storage").ToArray();
        foreach (var org in new[] { organization, small })
        {
            var deletedAt = fixture.Clock.GetUtcNow();
            var items = requests.Where(r => r.GetProperty("organizationId").GetString() == org)
                .SelectMany(r => r.GetProperty("items").EnumerateArray().Select(i => new PurgeOutcome(i.GetProperty("itemId").GetString()!, PurgeOutcomes.Deleted, deletedAt, "object data key")))
                .ToList();
            await Publisher.PublishAsync(new PurgeCompleted { OrganizationId = org, OccurredAt = deletedAt, PurgeId = "purge_answer", Owner = "storage", Items = items }, CancellationToken.None);
        }

        await WaitForReceiptsAsync(dataSource, 7, organization, small);
        Assert.Equal(new PurgePassResult(3, WorkLeft: false), await Pass.RunAsync(CancellationToken.None));
        await fixture.WaitForOutboxAsync();
        counts = await RequestedCountsAsync(dataSource, small);
        Assert.Equal(5, counts[organization]);
        Assert.Equal(5, counts[small]);

        // Every deleted item of the batched answers has its own signed receipt.
        using var owner = fixture.UserClient(organization, ["Owner"]);
        var receipts = await owner.GetFromJsonAsync<JsonElement>("/v1/retention/receipts");
        var verifier = receipts.GetProperty("verifierKey").GetString()!;
        var signed = receipts.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(answered, signed.Length);
        Assert.All(signed, s => Assert.True(ReceiptSigner.Verify(verifier, s.GetProperty("receipt").GetString()!, s.GetProperty("signature").GetString()!)));
    }

    private async Task<Dictionary<string, int>> RequestedCountsAsync(NpgsqlDataSource dataSource, string other)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT organization_id, count(*)::int FROM tracked_objects WHERE organization_id = ANY($1) AND purge_requested_at IS NOT NULL GROUP BY organization_id");
        command.Parameters.Add(new() { Value = new[] { organization, other } });
        var counts = new Dictionary<string, int> { [organization] = 0, [other] = 0 };
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) counts[reader.GetString(0)] = reader.GetInt32(1);
        return counts;
    }

    private static async Task WaitForReceiptsAsync(NpgsqlDataSource dataSource, int count, params string[] organizations)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM purge_receipts WHERE organization_id = ANY($1)");
        command.Parameters.Add(new() { Value = organizations });
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while ((long)(await command.ExecuteScalarAsync())! < count)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"retention did not store {count} receipts within 15 s.");
            await Task.Delay(50);
        }
    }
}
