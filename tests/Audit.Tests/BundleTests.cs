using System.Diagnostics;
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
/// The export bundle and platformctl's offline verification (issue 15 item 3): a bundle an Owner downloads verifies
/// against the published key with our CLI and with node/verify-bundle.mjs (written from RFC 9162 and C2SP, not from
/// our code); tampering in auditdb or in the file afterwards is named; another organization's bundle is out of reach.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class BundleTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    private static string Key => AuditServiceFixture.VerifierKeyOf(AuditServiceFixture.CheckpointKey);

    [Fact]
    public async Task A_bundle_verifies_offline_with_our_cli_and_an_independent_verifier_and_tampering_is_named_by_both()
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 12);
        // Erasure is not tampering: the erased entry's commitments stand in for its values.
        await fixture.Service.Services.GetRequiredService<LogStore>().ErasePersonalDataAsync(events[2].Id, CancellationToken.None);
        await SignAsync();

        var bundle = await Platformctl.BundleAsync(fixture.Service.Server.CreateHandler(), TamperEvidenceTests.OwnerToken(organization));
        var (exit, output, error) = await Platformctl.RunAsync(null, "audit", "verify", bundle, "--key", Key);
        Assert.True(exit == 0, output + error);
        Assert.Contains($"Verified: platform.dev/audit/{organization}, tree size 12", output);
        var (accepted, nodeOutput) = await NodeAsync(bundle, Key);
        Assert.True(accepted, nodeOutput);

        // Signed by a key the verifier was not given: not verified.
        var stranger = AuditServiceFixture.VerifierKeyOf("someone-else-0123456789-0123456789-abcdef");
        (exit, output, _) = await Platformctl.RunAsync(null, "audit", "verify", bundle, "--key", stranger);
        Assert.Equal(1, exit);
        Assert.Contains("not signed by any of the given keys", output);
        Assert.False((await NodeAsync(bundle, stranger)).Accepted);

        await SqlAsync($"UPDATE audit_events SET actor = 'user:usr_someone_else' WHERE event_id = '{events[7].Id}'");
        var tampered = await Platformctl.BundleAsync(fixture.Service.Server.CreateHandler(), TamperEvidenceTests.OwnerToken(organization));
        (exit, output, _) = await Platformctl.RunAsync(null, "audit", "verify", tampered, "--key", Key);
        Assert.Equal(1, exit);
        Assert.Contains($"first problem: altered leaf 7 (event {events[7].Id})", output);
        (accepted, nodeOutput) = await NodeAsync(tampered, Key);
        Assert.False(accepted, nodeOutput);
        Assert.Contains("do not make the signed root", nodeOutput);
    }

    [Theory]
    [InlineData("actor")]
    [InlineData("ip")]
    [InlineData("details")]
    public async Task A_bundle_changed_after_download_names_the_changed_entry(string field)
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 6);
        await SignAsync();
        var bundle = await Platformctl.BundleAsync(fixture.Service.Server.CreateHandler(), TamperEvidenceTests.OwnerToken(organization));

        var lines = await File.ReadAllLinesAsync(bundle);
        var at = Array.FindIndex(lines, l => l.Contains($"\"eventId\":\"{events[4].Id}\"", StringComparison.Ordinal));
        var entry = JsonNode(lines[at]);
        entry[field] = field == "details" ? new System.Text.Json.Nodes.JsonObject { ["email"] = "nobody@example.com" } : "changed";
        lines[at] = entry.ToJsonString();
        await File.WriteAllLinesAsync(bundle, lines);

        var (exit, report) = await Platformctl.VerifyAsync(bundle, Key);
        Assert.Equal(1, exit);
        Assert.Equal("altered", report.GetProperty("firstProblem").GetProperty("kind").GetString());
        Assert.Equal(4, report.GetProperty("firstProblem").GetProperty("leafIndex").GetInt64());
        Assert.Equal(events[4].Id, report.GetProperty("firstProblem").GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task Another_organizations_owner_gets_no_bundle_of_it_and_the_refusal_is_in_their_own_log()
    {
        var victim = $"org_{run}";
        var attacker = $"org_{run}_attacker";
        await AppendAsync(victim, 3);
        await SignAsync();
        var directory = Directory.CreateTempSubdirectory("platformctl-").FullName;
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, AccessTokens.Create(TimeProvider.System, attacker, ["Owner"], mfa: false, TimeSpan.FromMinutes(1), subject: $"usr_{run}"));
        var output = Path.Combine(directory, "stolen.ndjson");

        var (exit, _, error) = await Platformctl.RunAsync(fixture.Service.Server.CreateHandler(),
            "audit", "bundle", "--gateway", "http://localhost", "--token-file", tokenFile, "--organization", victim, "--output", output);
        Assert.Equal(3, exit);
        Assert.Contains("403", error);
        Assert.False(File.Exists(output));

        using var reader = fixture.UserClient(attacker, "Owner", subject: $"usr_{run}");
        var refusals = await reader.GetFromJsonAsync<JsonElement>("/v1/audit/events?action=request.refused");
        Assert.Contains(refusals.GetProperty("items").EnumerateArray(), e =>
            e.GetProperty("target").GetString() == "/v1/audit/bundle" && e.GetProperty("details").GetProperty("requestedOrganization").GetString() == victim);

        // A Developer of the organization itself is refused too; its Auditor may download.
        using var developer = fixture.UserClient(victim, "Developer");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await developer.GetAsync("/v1/audit/bundle")).StatusCode);
        using var auditor = fixture.UserClient(victim, "Auditor");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await auditor.GetAsync("/v1/audit/bundle")).StatusCode);
    }

    [Fact]
    public async Task Bad_usage_is_exit_code_2_with_a_message_and_no_token_is_ever_taken_from_the_command_line()
    {
        var (exit, _, error) = await Platformctl.RunAsync(null, "audit", "verify", "/nonexistent.ndjson", "--key", "not-a-key");
        Assert.Equal(2, exit);
        Assert.Contains("--key must be an Ed25519 verifier key", error);

        (exit, _, error) = await Platformctl.RunAsync(null, "audit", "bundle", "--gateway", "ftp://example.com");
        Assert.NotEqual(0, exit);
        Assert.Contains("--gateway must be an absolute https:// address", error);

        (exit, _, _) = await Platformctl.RunAsync(null, "audit", "bundle", "--gateway", "https://localhost:1", "--token", "sk_live_x");
        Assert.NotEqual(0, exit);

        var empty = Path.GetTempFileName();
        (exit, _, error) = await Platformctl.RunAsync(null, "audit", "verify", empty, "--key", Key);
        Assert.Equal(2, exit);
        Assert.Contains("The bundle is empty", error);
    }

    private static System.Text.Json.Nodes.JsonObject JsonNode(string line) => System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();

    private static async Task<(bool Accepted, string Output)> NodeAsync(string bundle, string key)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "node", "verify-bundle.mjs");
        using var node = Process.Start(new ProcessStartInfo("node", [script, bundle, key]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await node.StandardOutput.ReadToEndAsync() + await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode == 0, output);
    }

    private async Task<List<AuditRecorded>> AppendAsync(string organization, int count)
    {
        var events = Enumerable.Range(0, count).Select(i => new AuditRecorded
        {
            OccurredAt = DateTimeOffset.UtcNow, OrganizationId = organization, Actor = $"user:usr_{run}", Action = "dataset.created",
            Target = $"ds_{i}", Outcome = "success", Ip = "2001:db8::7", RequestId = $"req_{run}_{i}", UserAgent = "curl/8", Region = "eu",
            Details = new Dictionary<string, string> { ["name"] = $"dataset \"{i}\"", ["by"] = "ünïcode@example.com" },
        }).ToList();
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        await fixture.Service.Services.GetRequiredService<AuditStore>().InsertAsync(events, connection, null, CancellationToken.None);
        return events;
    }

    private Task SignAsync() => fixture.Service.Services.GetRequiredService<CheckpointPublisher>().PublishAllAsync(CancellationToken.None);

    private async Task SqlAsync(string sql)
    {
        await using var command = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
