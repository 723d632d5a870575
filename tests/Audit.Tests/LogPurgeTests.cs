using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Audit.Retention;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Audit.Tests;

/// <summary>
/// Retention's purge of the audit service's classes (issue 16 item 2), through the bus: <c>purge.requested</c> for an
/// organization's <c>audit_log</c> and <c>request_log</c>, answered by <c>purge.completed</c> with what went. The log is cut
/// only at a signed tree size before which everything expired (never closer than 90 days, whatever the request says),
/// expired request entries after the cut lose their personal fields in place, and what remains still verifies
/// (service, platformctl, node) from the anchor the answer names. Another owner's request, or a class that is not
/// audit's, changes nothing.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class LogPurgeTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    [Fact]
    public async Task Expired_audit_and_request_log_entries_go_on_retentions_request_and_what_remains_verifies_from_the_anchor()
    {
        var organization = $"org_{run}";
        var now = DateTimeOffset.UtcNow;
        var old = await RetentionTests.AppendAsync(fixture, run, organization, now.AddDays(-200), 5, 0, "dataset.created");
        await RetentionTests.SignAsync(fixture);
        old.AddRange(await RetentionTests.AppendAsync(fixture, run, organization, now.AddDays(-200), 2, 5, AuditDataClasses.RequestLogAction));
        await RetentionTests.SignAsync(fixture);
        var young = await RetentionTests.AppendAsync(fixture, run, organization, now.AddDays(-80), 3, 7, "dataset.created");
        var requests = await RetentionTests.AppendAsync(fixture, run, organization, now.AddDays(-40), 2, 10, AuditDataClasses.RequestLogAction);
        var fresh = await RetentionTests.AppendAsync(fixture, run, organization, now.AddDays(-1), 1, 12, AuditDataClasses.RequestLogAction);
        await RetentionTests.SignAsync(fixture);

        // Another owner's request, and one naming a class that is not audit's, change nothing.
        await fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync(
            [new PurgeRequested { OrganizationId = organization, OccurredAt = now, PurgeId = $"purge_{run}_storage", Owner = "storage", Items = [new(DataClasses.AuditLog, DataClasses.AuditLog, now, "x")] }],
            CancellationToken.None);
        var refused = await PurgeAsync(fixture, organization, (DataClasses.Image, now));
        Assert.Equal(PurgeOutcomes.Refused, Assert.Single(refused.Items).Outcome);
        using var owner = fixture.UserClient(organization, "Owner");
        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention")).GetProperty("prunedBefore").GetInt64());

        // Retention asks for everything recorded before now (audit_log) and before 30 days ago (request_log): the
        // 90-day floor keeps the 80-day-old entries, so the cut is the checkpoint at 7, and the two 40-day-old
        // request entries lose their personal fields in place; yesterday's stays whole.
        var answer = await PurgeAsync(fixture, organization, (DataClasses.AuditLog, now), (DataClasses.RequestLog, now.AddDays(-30)));
        var audit = answer.Items.Single(i => i.ItemId == DataClasses.AuditLog);
        Assert.Equal(PurgeOutcomes.Deleted, audit.Outcome);
        Assert.Equal(7, audit.Entries);
        Assert.Contains("verification starts at the signed tree size 7", audit.Anchor);
        var request = answer.Items.Single(i => i.ItemId == DataClasses.RequestLog);
        Assert.Equal(PurgeOutcomes.Deleted, request.Outcome);
        Assert.Equal(2, request.Entries);

        Assert.Equal(7, (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention")).GetProperty("prunedBefore").GetInt64());
        var ids = await EventIdsAsync(organization);
        Assert.DoesNotContain(ids, old.Select(e => e.Id).Contains);
        Assert.Superset(young.Concat(requests).Concat(fresh).Select(e => e.Id).ToHashSet(), ids.ToHashSet());
        foreach (var erased in requests)
        {
            var entry = await EntryAsync(owner, erased.RequestId!);
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("ip").ValueKind);
            Assert.Equal(JsonValueKind.Null, entry.GetProperty("details").ValueKind);
        }

        Assert.Equal("203.0.113.9", (await EntryAsync(owner, fresh[0].RequestId!)).GetProperty("ip").GetString());
        // The cut's own entry arrives through the outbox once the cut committed.
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        JsonElement items;
        while ((items = (await owner.GetFromJsonAsync<JsonElement>($"/v1/audit/events?action={AuditPruner.PrunedAction}")).GetProperty("items")).GetArrayLength() == 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "no audit.log.pruned entry");
            await Task.Delay(100);
        }

        Assert.Equal("7", items[0].GetProperty("details").GetProperty("prunedBefore").GetString());
        Assert.Contains(items[0].GetProperty("details").GetProperty("anchorRootHash").GetString()!, audit.Anchor);
        await RetentionTests.AssertVerifiesAsync(fixture, organization, owner);

        // Asked again, nothing more has expired.
        var again = await PurgeAsync(fixture, organization, (DataClasses.AuditLog, now), (DataClasses.RequestLog, now.AddDays(-30)));
        Assert.All(again.Items, i => Assert.Equal(PurgeOutcomes.Absent, i.Outcome));
    }

    /// <summary>Publishes retention's request for whole classes and waits for the answer the service's outbox holds.</summary>
    internal static async Task<PurgeCompleted> PurgeAsync(AuditServiceFixture fixture, string organization, params (string DataClass, DateTimeOffset Cutoff)[] classes)
    {
        var purgeId = $"purge_{Guid.NewGuid():n}";
        await fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync(
        [
            new PurgeRequested
            {
                OrganizationId = organization, OccurredAt = DateTimeOffset.UtcNow, PurgeId = purgeId, Owner = LogPurgeHandler.Owner,
                Items = [.. classes.Select(c => new PurgeItem(c.DataClass, c.DataClass, c.Cutoff, $"{c.DataClass}: test"))],
            },
        ], CancellationToken.None);
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var command = dataSource.CreateCommand("SELECT payload::text FROM outbox WHERE type = 'purge.completed' AND payload->>'purgeId' = $1");
            command.Parameters.Add(new() { Value = purgeId });
            if (await command.ExecuteScalarAsync() is string payload) return JsonSerializer.Deserialize<PurgeCompleted>(payload, JsonSerializerOptions.Web)!;
            Assert.True(DateTimeOffset.UtcNow < deadline, $"no answer to {purgeId}: {CapturedLogs.Instance.Matching("xception")}");
            await Task.Delay(100);
        }
    }

    private async Task<List<string>> EventIdsAsync(string organization)
    {
        await using var command = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT event_id FROM audit_events WHERE organization_id = $1 AND action <> $2");
        command.Parameters.Add(new() { Value = organization });
        command.Parameters.Add(new() { Value = AuditPruner.PrunedAction });
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetString(0));
        return ids;
    }

    private static async Task<JsonElement> EntryAsync(HttpClient owner, string requestId) =>
        Assert.Single((await owner.GetFromJsonAsync<JsonElement>($"/v1/audit/events?requestId={requestId}")).GetProperty("items").EnumerateArray());
}
