using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Platform.Audit.Checkpoints;
using Platform.Audit.Data;
using Platform.Audit.Events;
using Platform.Audit.Log;
using Platform.Audit.Retention;
using Platform.Messaging.Contracts;

namespace Platform.Audit.Tests;

/// <summary>
/// Retention of the audit log (issue 15 item 7) with a fake clock: whole checkpointed ranges past the period are
/// pruned, and what remains still verifies — the service's verification, platformctl and the node verifier on a
/// bundle, inclusion and consistency proofs — and tampering after pruning is still named. Owners set the period
/// within the plan's bounds.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class RetentionTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    private static string Key => AuditServiceFixture.VerifierKeyOf(AuditServiceFixture.CheckpointKey);

    [Fact]
    public async Task Pruning_removes_whole_checkpointed_ranges_past_the_period_and_what_remains_still_verifies()
    {
        var organization = $"org_{run}";
        var now = DateTimeOffset.UtcNow;
        var clock = new FakeTimeProvider(now);
        var events = await AppendAsync(organization, now.AddDays(-200), 5);
        await SignAsync();
        var older = await CheckpointAsync(organization);
        events.AddRange(await AppendAsync(organization, now.AddDays(-200), 2, first: 5));
        events.AddRange(await AppendAsync(organization, now.AddDays(-80), 3, first: 7));
        await SignAsync();
        var newer = await CheckpointAsync(organization);

        // Entries 0-6 are past the default 90 days, but the log is cut only where a checkpoint was signed: at 5.
        var pruner = ActivatorUtilities.CreateInstance<AuditPruner>(fixture.Service.Services, (TimeProvider)clock);
        await CutAsync(pruner, organization, clock.GetUtcNow().AddDays(-90));
        using var owner = fixture.UserClient(organization, "Owner");
        Assert.Equal(5, (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention")).GetProperty("prunedBefore").GetInt64());
        var remaining = (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/events?action=dataset.created")).GetProperty("items");
        Assert.Equal(events[5..].Select(e => e.Id).Order(), remaining.EnumerateArray().Select(e => e.GetProperty("eventId").GetString()!).Order());
        var pruned = (await owner.GetFromJsonAsync<JsonElement>($"/v1/audit/events?action={AuditPruner.PrunedAction}")).GetProperty("items")[0];
        Assert.Equal("5", pruned.GetProperty("details").GetProperty("prunedBefore").GetString());
        Assert.Equal(AuditPruner.Actor, pruned.GetProperty("actor").GetString());

        await AssertVerifiesAsync(organization, owner);
        var inclusion = await owner.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/inclusion?eventId={events[8].Id}&treeSize=10");
        Assert.True(Rfc9162.VerifyInclusion(8, 10, MerkleTree.LeafHash(Convert.FromBase64String(inclusion.GetProperty("leafData").GetString()!)),
            Hashes(inclusion.GetProperty("auditPath")), Convert.FromBase64String(newer.GetProperty("rootHash").GetString()!)));
        var consistency = await owner.GetFromJsonAsync<JsonElement>("/v1/audit/proofs/consistency?from=5&to=10");
        Assert.True(Rfc9162.VerifyConsistency(5, 10, Convert.FromBase64String(older.GetProperty("rootHash").GetString()!),
            Convert.FromBase64String(newer.GetProperty("rootHash").GetString()!), Hashes(consistency.GetProperty("proof"))));
        using (var prunedProof = await owner.GetAsync("/v1/audit/proofs/consistency?from=3&to=10"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, prunedProof.StatusCode);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"/v1/audit/proofs/inclusion?eventId={events[1].Id}&treeSize=10")).StatusCode);

        // Eleven days on, the rest is past the period too; new entries after the cut verify as before.
        clock.Advance(TimeSpan.FromDays(11));
        await SignAsync();
        await CutAsync(pruner, organization, clock.GetUtcNow().AddDays(-90));
        var cut = (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention")).GetProperty("prunedBefore").GetInt64();
        Assert.True(cut >= 10, $"pruned before {cut}");
        var fresh = await AppendAsync(organization, now, 3, first: 100);
        await SignAsync();
        await AssertVerifiesAsync(organization, owner);

        // Tampering after pruning is named by both, at its leaf.
        await SqlAsync($"UPDATE audit_events SET action = 'dataset.deleted' WHERE event_id = '{fresh[1].Id}'");
        var leaf = (await owner.GetFromJsonAsync<JsonElement>($"/v1/audit/events?requestId={fresh[1].RequestId}")).GetProperty("items").GetArrayLength() == 1
            ? await LeafIndexAsync(fresh[1].Id) : -1;
        using var verification = await owner.PostAsync("/v1/audit/verifications", null);
        var report = await verification.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("altered", report.GetProperty("firstProblem").GetProperty("kind").GetString());
        Assert.Equal(leaf, report.GetProperty("firstProblem").GetProperty("leafIndex").GetInt64());
        var bundle = await Platformctl.BundleAsync(fixture.Service.Server.CreateHandler(), TamperEvidenceTests.OwnerToken(organization));
        var (exit, offline) = await Platformctl.VerifyAsync(bundle, Key);
        Assert.Equal(1, exit);
        Assert.Equal(leaf, offline.GetProperty("firstProblem").GetProperty("leafIndex").GetInt64());
        Assert.Equal(fresh[1].Id, offline.GetProperty("firstProblem").GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task Owners_set_the_period_within_the_plans_bounds_and_the_change_is_audited()
    {
        var organization = $"org_{run}";
        using var owner = fixture.UserClient(organization, "Owner", subject: $"usr_{run}");
        var initial = await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention");
        Assert.Equal(90, initial.GetProperty("days").GetInt32());
        Assert.True(initial.GetProperty("isDefault").GetBoolean());

        foreach (var days in new[] { 30, 89, 7 * 365 + 3, -1 })
        {
            using var refused = await owner.PutAsJsonAsync("/v1/audit/retention", new { days });
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/retention-out-of-bounds", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        foreach (var role in new[] { "Admin", "Auditor" })
        {
            using var client = fixture.UserClient(organization, role);
            using var refused = await client.PutAsJsonAsync("/v1/audit/retention", new { days = 365 });
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // Another organization's Owner, naming this one.
        using var stranger = fixture.UserClient($"org_{run}_stranger", "Owner");
        using (var refused = await stranger.PutAsJsonAsync($"/v1/audit/retention?organization={organization}", new { days = 2555 }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Equal(90, (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention")).GetProperty("days").GetInt32());

        using var changed = await owner.PutAsJsonAsync("/v1/audit/retention", new { days = 365 });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(365, (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("days").GetInt32());
        var entry = (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/events?action=audit.retention.changed")).GetProperty("items")[0];
        Assert.Equal($"usr_{run}", entry.GetProperty("actor").GetString());
        Assert.Equal("365", entry.GetProperty("details").GetProperty("days").GetString());
        Assert.Equal("90", entry.GetProperty("details").GetProperty("previousDays").GetString());

        // 200-day-old entries stay under a 365-day period.
        var now = DateTimeOffset.UtcNow;
        await AppendAsync(organization, now.AddDays(-200), 4);
        await SignAsync();
        var answer = await LogPurgeTests.PurgeAsync(fixture, organization, (DataClasses.AuditLog, now));
        Assert.Equal(PurgeOutcomes.Absent, answer.Items.Single().Outcome);
        Assert.Equal(0, (await owner.GetFromJsonAsync<JsonElement>("/v1/audit/retention")).GetProperty("prunedBefore").GetInt64());
    }

    /// <summary>The cut the purge handler makes, with a cutoff of the test's clock (the handler's floor has its own test).</summary>
    private async Task CutAsync(AuditPruner pruner, string organization, DateTimeOffset cutoff)
    {
        await using var connection = await fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var cut = await AuditPruner.CutAsync(organization, cutoff, AuditPruner.KeepEveryRequest, connection, transaction, CancellationToken.None);
        await transaction.CommitAsync();
        if (cut is not null) await pruner.RecordAsync(organization, cut, 90, CancellationToken.None);
    }

    private Task AssertVerifiesAsync(string organization, HttpClient owner) => AssertVerifiesAsync(fixture, organization, owner);

    /// <summary>The service's verification, platformctl's and the node verifier's on a bundle all pass, starting after the pruned prefix.</summary>
    internal static async Task AssertVerifiesAsync(AuditServiceFixture fixture, string organization, HttpClient owner)
    {
        using var verification = await owner.PostAsync("/v1/audit/verifications", null);
        var report = await verification.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(report.GetProperty("verified").GetBoolean(), report.ToString());
        var bundle = await Platformctl.BundleAsync(fixture.Service.Server.CreateHandler(), TamperEvidenceTests.OwnerToken(organization));
        var (exit, output, error) = await Platformctl.RunAsync(null, "audit", "verify", bundle, "--key", Key);
        Assert.True(exit == 0, output + error);
        Assert.Contains("were pruned", output);
        var node = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("node", [Path.Combine(AppContext.BaseDirectory, "node", "verify-bundle.mjs"), bundle, Key])
        {
            RedirectStandardOutput = true,
        })!;
        var nodeOutput = await node.StandardOutput.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, nodeOutput);
    }

    private async Task<JsonElement> CheckpointAsync(string organization)
    {
        using var owner = fixture.UserClient(organization, "Owner");
        return await owner.GetFromJsonAsync<JsonElement>("/v1/audit/checkpoints/latest");
    }

    private async Task<long> LeafIndexAsync(string eventId)
    {
        await using var command = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand("SELECT leaf_index FROM audit_events WHERE event_id = $1");
        command.Parameters.Add(new() { Value = eventId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Task<List<AuditRecorded>> AppendAsync(string organization, DateTimeOffset at, int count, int first = 0) =>
        AppendAsync(fixture, run, organization, at, count, first, "dataset.created");

    /// <summary>Entries stored as the bus would store them, each in its own insert (so each its own leaf, in order).</summary>
    internal static async Task<List<AuditRecorded>> AppendAsync(AuditServiceFixture fixture, string run, string organization, DateTimeOffset at, int count, int first, string action)
    {
        var events = Enumerable.Range(first, count).Select(i => new AuditRecorded
        {
            OccurredAt = at, OrganizationId = organization, Actor = $"user:usr_{run}", Action = action,
            Target = $"ds_{i}", Outcome = "success", Ip = "203.0.113.9", RequestId = $"req_{run}_{i}", UserAgent = "curl/8",
            Details = new Dictionary<string, string> { ["name"] = $"dataset {i}" },
        }).ToList();
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var @event in events) await fixture.Service.Services.GetRequiredService<AuditStore>().InsertAsync([@event], connection, null, CancellationToken.None);
        return events;
    }

    private Task SignAsync() => SignAsync(fixture);

    internal static Task SignAsync(AuditServiceFixture fixture) => fixture.Service.Services.GetRequiredService<CheckpointPublisher>().PublishAllAsync(CancellationToken.None);

    private async Task SqlAsync(string sql)
    {
        await using var command = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static List<byte[]> Hashes(JsonElement list) => list.EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();
}
