using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Audit.Checkpoints;
using Platform.Audit.Data;
using Platform.Audit.Events;
using Platform.Audit.Log;

namespace Platform.Audit.Tests;

/// <summary>
/// The log against its own database: rows edited, deleted, reordered and inserted directly in auditdb are named by
/// the service's verification; erasure is not tampering; proofs verify against signed checkpoints.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class TamperEvidenceTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    [Theory]
    [InlineData("edit", "altered", 4, 4)]
    [InlineData("edit-personal-field", "altered", 6, 6)]
    [InlineData("edit-time", "altered", 0, 0)]
    [InlineData("delete", "removed", 3, null)]
    [InlineData("delete-and-close-the-gap", "removed", 3, null)]
    [InlineData("reorder", "reordered", 2, 7)]
    [InlineData("insert-unlogged", "inserted", null, -1)]
    [InlineData("insert-and-shift", "inserted", 5, -1)]
    [InlineData("move-to-another-organization", "removed", 5, null)]
    public async Task Verification_names_the_first_entry_that_was_tampered_with(string tampering, string kind, int? leafIndex, int? eventIndex)
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 10);
        await SignCheckpointsAsync();
        Assert.True((await VerifyAsync(organization)).GetProperty("verified").GetBoolean());

        var forged = $"evt_forged_{run}";
        await SqlAsync(tampering switch
        {
            "edit" => $"UPDATE audit_events SET action = 'key.viewed' WHERE event_id = '{events[4].Id}'",
            "edit-personal-field" => $"UPDATE audit_events SET ip = '203.0.113.66' WHERE event_id = '{events[6].Id}'",
            "edit-time" => $"UPDATE audit_events SET occurred_at = occurred_at - interval '1 day' WHERE event_id = '{events[0].Id}'",
            "delete" => $"DELETE FROM audit_events WHERE event_id = '{events[3].Id}'",
            "delete-and-close-the-gap" => $"""
                DELETE FROM audit_events WHERE event_id = '{events[3].Id}';
                UPDATE audit_events SET leaf_index = -leaf_index WHERE log_id = '{organization}' AND leaf_index > 3;
                UPDATE audit_events SET leaf_index = -leaf_index - 1 WHERE log_id = '{organization}' AND leaf_index < 0;
                """,
            "reorder" => $"""
                UPDATE audit_events SET leaf_index = -1 WHERE event_id = '{events[2].Id}';
                UPDATE audit_events SET leaf_index = 2 WHERE event_id = '{events[7].Id}';
                UPDATE audit_events SET leaf_index = 7 WHERE event_id = '{events[2].Id}';
                """,
            "insert-unlogged" => $"""
                INSERT INTO audit_events (event_id, occurred_at, organization_id, actor, action, outcome, received_at)
                VALUES ('{forged}', now(), '{organization}', 'user:usr_x', 'key.created', 'success', now())
                """,
            "insert-and-shift" => $"""
                UPDATE audit_events SET leaf_index = -leaf_index - 1 WHERE log_id = '{organization}' AND leaf_index >= 5;
                UPDATE audit_events SET leaf_index = -leaf_index WHERE log_id = '{organization}' AND leaf_index < 0;
                INSERT INTO audit_events (event_id, occurred_at, organization_id, actor, action, outcome, received_at, log_id, leaf_index)
                VALUES ('{forged}', now(), '{organization}', 'user:usr_x', 'key.created', 'success', now(), '{organization}', 5)
                """,
            "move-to-another-organization" => $"UPDATE audit_events SET organization_id = 'org_other_{run}', log_id = 'org_other_{run}' WHERE event_id = '{events[5].Id}'",
            _ => throw new ArgumentOutOfRangeException(nameof(tampering)),
        });

        // The service's own verification, and platformctl offline on the bundle an Owner downloads: the same entry.
        var expectedEvent = eventIndex switch { null => null, -1 => forged, { } i => events[i].Id };
        var report = await VerifyAsync(organization);
        AssertNames(report, kind, leafIndex, expectedEvent);
        var bundle = await Platformctl.BundleAsync(fixture.Service.Server.CreateHandler(), OwnerToken(organization));
        var (exit, offline) = await Platformctl.VerifyAsync(bundle, AuditServiceFixture.VerifierKeyOf(AuditServiceFixture.CheckpointKey));
        Assert.Equal(1, exit);
        AssertNames(offline, kind, leafIndex, expectedEvent);
    }

    private static void AssertNames(JsonElement report, string kind, int? leafIndex, string? eventId)
    {
        Assert.False(report.GetProperty("verified").GetBoolean(), report.ToString());
        var problem = report.GetProperty("firstProblem");
        Assert.Equal(kind, problem.GetProperty("kind").GetString());
        Assert.Equal(leafIndex, problem.GetProperty("leafIndex").ValueKind == JsonValueKind.Null ? null : problem.GetProperty("leafIndex").GetInt32());
        Assert.Equal(eventId, problem.GetProperty("eventId").GetString());
    }

    internal static string OwnerToken(string organization) =>
        AccessTokens.Create(TimeProvider.System, organization, ["Owner"], mfa: false, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task Erasing_an_entrys_personal_data_keeps_the_log_verifiable()
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 5);
        await SignCheckpointsAsync();

        Assert.True(await fixture.Service.Services.GetRequiredService<LogStore>().ErasePersonalDataAsync(events[2].Id, CancellationToken.None));

        var report = await VerifyAsync(organization);
        Assert.True(report.GetProperty("verified").GetBoolean(), report.ToString());
        using var client = Client(AuditServiceFixture.OperatorToken);
        var erased = (await client.GetFromJsonAsync<JsonElement>($"/v1/audit/events?organization={organization}&requestId={events[2].RequestId}")).GetProperty("items")[0];
        Assert.Equal(JsonValueKind.Null, erased.GetProperty("ip").ValueKind);
        Assert.Equal(JsonValueKind.Null, erased.GetProperty("userAgent").ValueKind);
        Assert.Equal(JsonValueKind.Null, erased.GetProperty("details").ValueKind);
        Assert.Equal(JsonValueKind.Null, erased.GetProperty("target").ValueKind);
    }

    [Fact]
    public async Task Redelivered_and_repacked_batches_append_every_event_exactly_once()
    {
        var organization = $"org_{run}";
        var events = Enumerable.Range(0, 300).Select(i => Event(organization, i)).ToList();
        var marker = Event($"org_{run}_marker", 0);
        await fixture.Service.Services.GetRequiredService<Messaging.IEventPublisher>().PublishAsync(
            [new AuditBatchRecorded { Events = events[..200] }, new AuditBatchRecorded { Events = events[150..] }, events[10], new AuditBatchRecorded { Events = [marker] }],
            CancellationToken.None);
        await WaitForLogAsync(marker.OrganizationId!, 1);

        await SignCheckpointsAsync();
        using var client = Client(AuditServiceFixture.OperatorToken);
        var checkpoint = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/checkpoints/latest?organization={organization}");
        Assert.Equal(300, checkpoint.GetProperty("treeSize").GetInt64());
        Assert.True((await VerifyAsync(organization)).GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task Concurrent_batches_of_one_organization_make_one_consistent_log()
    {
        var organization = $"org_{run}";
        var store = fixture.Service.Services.GetRequiredService<AuditStore>();
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async batch =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            var events = Enumerable.Range(0, 50).Select(i => Event(i % 2 == 0 ? organization : $"{organization}_b", batch * 100 + i)).ToList();
            await store.InsertAsync(events, connection, transaction, CancellationToken.None);
            await transaction.CommitAsync();
        }));

        await SignCheckpointsAsync();
        var report = await VerifyAsync(organization);
        Assert.True(report.GetProperty("verified").GetBoolean(), report.ToString());
        Assert.Equal(200, report.GetProperty("treeSize").GetInt64());
        Assert.Equal(200, (await VerifyAsync($"{organization}_b")).GetProperty("treeSize").GetInt64());
    }

    [Fact]
    public async Task Inclusion_and_consistency_proofs_verify_against_signed_checkpoints()
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 5);
        await SignCheckpointsAsync();
        using var client = Client(AuditServiceFixture.OperatorToken);
        var older = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/checkpoints/latest?organization={organization}");
        events.AddRange(await AppendAsync(organization, 6));
        await SignCheckpointsAsync();
        var newer = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/checkpoints/latest?organization={organization}");
        Assert.Equal(11, newer.GetProperty("treeSize").GetInt64());

        var keys = (await fixture.Service.CreateClient().GetFromJsonAsync<JsonElement>("/v1/audit/checkpoint-keys")).GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal($"platform.dev/audit/{organization}\n11\n{newer.GetProperty("rootHash").GetString()}\n", NoteSigner.Verify(newer.GetProperty("note").GetString()!, keys));

        var inclusion = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/inclusion?organization={organization}&eventId={events[3].Id}");
        Assert.Equal(3, inclusion.GetProperty("leafIndex").GetInt64());
        Assert.True(Rfc9162.VerifyInclusion(3, 11, MerkleTree.LeafHash(Convert.FromBase64String(inclusion.GetProperty("leafData").GetString()!)),
            Hashes(inclusion.GetProperty("auditPath")), Convert.FromBase64String(newer.GetProperty("rootHash").GetString()!)));

        var consistency = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/consistency?organization={organization}&from=5&to=11");
        Assert.True(Rfc9162.VerifyConsistency(5, 11, Convert.FromBase64String(older.GetProperty("rootHash").GetString()!),
            Convert.FromBase64String(newer.GetProperty("rootHash").GetString()!), Hashes(consistency.GetProperty("proof"))));
    }

    [Theory]
    [InlineData("inclusion?organization={org}&eventId=evt_unknown", 404, "unknown-audit-entry")]
    [InlineData("inclusion?organization={org}&eventId={other}", 404, "unknown-audit-entry")]
    [InlineData("inclusion?organization={org}&eventId={last}&treeSize=2", 400, "tree-size-out-of-range")]
    [InlineData("inclusion?organization={org}&eventId={first}&treeSize=4", 400, "tree-size-out-of-range")]
    [InlineData("inclusion?organization={org}&eventId={first}&treeSize=abc", 400, "invalid-query")]
    [InlineData("inclusion?organization={org}", 400, "invalid-query")]
    [InlineData("consistency?organization={org}&from=0&to=3", 400, "tree-size-out-of-range")]
    [InlineData("consistency?organization={org}&from=3&to=2", 400, "tree-size-out-of-range")]
    [InlineData("consistency?organization={org}&from=1&to=9", 400, "tree-size-out-of-range")]
    public async Task Bad_proof_requests_are_problems(string query, int status, string type)
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 3);
        var other = await AppendAsync($"org_{run}_other", 1);
        await SignCheckpointsAsync();
        using var client = Client(AuditServiceFixture.OperatorToken);
        using var response = await client.GetAsync("/v1/audit/proofs/" + query.Replace("{org}", organization)
            .Replace("{other}", other[0].Id).Replace("{first}", events[0].Id).Replace("{last}", events[2].Id));
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal($"https://platform.dev/problems/{type}", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("/v1/audit/checkpoints/latest?organization=org_b")]
    [InlineData("/v1/audit/checkpoints/latest")]
    [InlineData("/v1/audit/proofs/consistency?organization=org_b&from=1&to=1")]
    public async Task A_reader_of_one_organization_gets_no_checkpoint_or_proof_of_another(string path)
    {
        await AppendAsync("org_b", 1);
        await SignCheckpointsAsync();
        using var tenant = Client(AuditServiceFixture.TenantToken);
        using var response = await tenant.GetAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        using var verification = await tenant.PostAsync("/v1/audit/verifications?organization=org_b", null);
        Assert.Equal(HttpStatusCode.Forbidden, verification.StatusCode);
    }

    [Fact]
    public async Task Checkpoint_keys_list_the_current_key_first_and_the_retired_one_still_verifies_its_notes()
    {
        var keys = await fixture.Service.CreateClient().GetFromJsonAsync<JsonElement>("/v1/audit/checkpoint-keys");
        var listed = keys.GetProperty("keys").EnumerateArray().Select(k => k.GetString()!).ToList();
        Assert.Equal(AuditServiceFixture.VerifierKeyOf(AuditServiceFixture.CheckpointKey), keys.GetProperty("current").GetString());
        Assert.Equal([AuditServiceFixture.VerifierKeyOf(AuditServiceFixture.CheckpointKey), AuditServiceFixture.VerifierKeyOf(AuditServiceFixture.PreviousCheckpointKey)], listed);

        using var retired = new NoteSigner(Microsoft.Extensions.Options.Options.Create(new CheckpointOptions { SigningKey = AuditServiceFixture.PreviousCheckpointKey }));
        var old = retired.Sign("platform.dev/audit/org_a\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        Assert.NotNull(NoteSigner.Verify(old, listed));
        Assert.Null(NoteSigner.Verify(old.Replace("\n1\n", "\n2\n"), listed));
        Assert.Null(NoteSigner.Verify(old, listed.Take(1)));
    }

    private async Task<List<AuditRecorded>> AppendAsync(string organization, int count)
    {
        var events = Enumerable.Range(0, count).Select(i => Event(organization, i)).ToList();
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        // One at a time, as separate deliveries would arrive.
        foreach (var @event in events) await fixture.Service.Services.GetRequiredService<AuditStore>().InsertAsync([@event], connection, null, CancellationToken.None);
        return events;
    }

    private AuditRecorded Event(string organization, int i) => new()
    {
        OccurredAt = DateTimeOffset.UtcNow,
        OrganizationId = organization,
        Actor = $"user:usr_{run}",
        Action = "key.created",
        Target = $"key_{i}",
        Outcome = "success",
        Ip = $"198.51.100.{i % 250}",
        RequestId = $"req_{run}_{organization}_{i}",
        UserAgent = "tests",
        Details = new Dictionary<string, string> { ["email"] = $"user{i}@example.com" },
    };

    private async Task SignCheckpointsAsync() =>
        await fixture.Service.Services.GetRequiredService<CheckpointPublisher>().PublishAllAsync(CancellationToken.None);

    private async Task SqlAsync(string sql)
    {
        await using var command = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<JsonElement> VerifyAsync(string organization)
    {
        using var client = Client(AuditServiceFixture.OperatorToken);
        using var response = await client.PostAsync($"/v1/audit/verifications?organization={organization}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task WaitForLogAsync(string organization, long size)
    {
        var store = fixture.Service.Services.GetRequiredService<LogStore>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while ((await store.LogAsync(organization, CancellationToken.None))?.Size < size || await store.LogAsync(organization, CancellationToken.None) is null)
        {
            if (DateTimeOffset.UtcNow > deadline) Assert.Fail($"The log of {organization} did not reach {size} entries.");
            await Task.Delay(100);
        }
    }

    private static List<byte[]> Hashes(JsonElement list) => list.EnumerateArray().Select(h => Convert.FromBase64String(h.GetString()!)).ToList();

    private HttpClient Client(string token)
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
