using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Audit.Checkpoints;
using Platform.Audit.Data;
using Platform.Audit.Events;

namespace Platform.Audit.Tests;

/// <summary>
/// Our format is the standard one: node/verify.mjs, written from RFC 9162 and C2SP signed-note/tlog-checkpoint with
/// node's own crypto, verifies two checkpoints' signatures, a consistency proof between them and an inclusion proof,
/// all fetched from the running service, also for an entry whose personal fields were erased afterwards.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class IndependentVerifierTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    [Fact]
    public async Task A_node_verifier_written_from_the_rfc_accepts_our_checkpoints_and_proofs_and_rejects_a_changed_proof()
    {
        var organization = $"org_{run}";
        var events = await AppendAsync(organization, 7);
        using var client = Client();
        var older = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/checkpoints/latest?organization={organization}");
        events.AddRange(await AppendAsync(organization, 13));
        var newer = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/checkpoints/latest?organization={organization}");
        var keys = await fixture.Service.CreateClient().GetFromJsonAsync<JsonElement>("/v1/audit/checkpoint-keys");
        var consistency = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/consistency?organization={organization}&from=7&to=20");
        var inclusion = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/inclusion?organization={organization}&eventId={events[5].Id}&treeSize=20");

        var input = new Dictionary<string, object?>
        {
            ["keys"] = keys.GetProperty("keys"),
            ["older"] = older.GetProperty("note").GetString(),
            ["newer"] = newer.GetProperty("note").GetString(),
            ["consistency"] = consistency.GetProperty("proof"),
            ["inclusion"] = inclusion,
        };
        var (accepted, output) = await RunNodeAsync(JsonSerializer.Serialize(input));
        Assert.True(accepted, output);
        Assert.Contains($"\"origin\":\"platform.dev/audit/{organization}\"", output);

        // A data-subject erasure of that entry (its personal fields and salts removed, the commitments kept): the node
        // verifier accepts its inclusion proof against the same signed checkpoint.
        Assert.True(await fixture.Service.Services.GetRequiredService<Platform.Audit.Log.LogStore>().ErasePersonalDataAsync(events[5].Id, CancellationToken.None));
        var erased = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/inclusion?organization={organization}&eventId={events[5].Id}&treeSize=20");
        Assert.DoesNotContain("2001:db8::7", erased.ToString(), StringComparison.Ordinal);
        input["inclusion"] = erased;
        var (erasedAccepted, erasedOutput) = await RunNodeAsync(JsonSerializer.Serialize(input));
        Assert.True(erasedAccepted, erasedOutput);
        input["inclusion"] = inclusion;

        // The verifier can say no: one proof hash changed, one signature from an unknown key.
        var changed = consistency.GetProperty("proof").EnumerateArray().Select(h => h.GetString()!).ToList();
        changed[0] = Convert.ToBase64String(new byte[32]);
        input["consistency"] = changed;
        Assert.False((await RunNodeAsync(JsonSerializer.Serialize(input))).Accepted);
        input["consistency"] = consistency.GetProperty("proof");
        input["keys"] = new[] { AuditServiceFixture.VerifierKeyOf("someone-else-0123456789-0123456789-abcdef") };
        Assert.False((await RunNodeAsync(JsonSerializer.Serialize(input))).Accepted);
    }

    private static async Task<(bool Accepted, string Output)> RunNodeAsync(string input)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "node", "verify.mjs");
        using var node = Process.Start(new ProcessStartInfo("node", [script])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        })!;
        await node.StandardInput.WriteAsync(input);
        node.StandardInput.Close();
        var output = await node.StandardOutput.ReadToEndAsync() + await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        return (node.ExitCode == 0, output);
    }

    /// <summary>Appends events and signs a checkpoint of every log.</summary>
    private async Task<List<AuditRecorded>> AppendAsync(string organization, int count)
    {
        var events = Enumerable.Range(0, count).Select(i => new AuditRecorded
        {
            OccurredAt = DateTimeOffset.UtcNow, OrganizationId = organization, Actor = $"user:usr_{run}", Action = "dataset.created",
            Target = $"ds_{i}", Outcome = "success", Ip = "2001:db8::7", RequestId = $"req_{run}_{i}", UserAgent = "curl/8", Region = "eu",
            Details = new Dictionary<string, string> { ["name"] = $"dataset {i}", ["by"] = "ünïcode@example.com" },
        }).ToList();
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        await fixture.Service.Services.GetRequiredService<AuditStore>().InsertAsync(events, connection, null, CancellationToken.None);
        await fixture.Service.Services.GetRequiredService<CheckpointPublisher>().PublishAllAsync(CancellationToken.None);
        return events;
    }

    private HttpClient Client()
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditServiceFixture.OperatorToken);
        return client;
    }
}
