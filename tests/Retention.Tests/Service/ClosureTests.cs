using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Closure;
using Platform.Retention.Purge;
using Platform.Retention.Tests.Infrastructure;

namespace Platform.Retention.Tests.Service;

/// <summary>
/// SPEC RET-CLOSE at the service, on the fake clock: an Owner with a recent MFA closes the organization, or cancels
/// within the 30-day grace period; after it every service is asked (with the active holds) and their answers become
/// one signed receipt. The services' side is the test, answering as they do.
/// </summary>
[Collection(RetentionServiceCollection.Name)]
public sealed class ClosureTests(RetentionServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    private IEventPublisher Publisher => fixture.Service.Services.GetRequiredService<IEventPublisher>();

    private async Task PassAsync()
    {
        await fixture.Service.Services.GetRequiredService<ClosurePass>().RunAsync(CancellationToken.None);
        await fixture.WaitForOutboxAsync();
    }

    private int DueCount(string closureId) => fixture.Events.All.Count(e => e.RoutingKey == "organization.closure-due" && e.Body.Contains(closureId, StringComparison.Ordinal));

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Problems + slug, body.GetProperty("type").GetString());
        return body;
    }

    private async Task<string> CloseAsync()
    {
        using var owner = fixture.UserClient(organization, ["Owner"]);
        using var close = await owner.PostAsync("/v1/retention/closure", null);
        Assert.Equal(HttpStatusCode.Accepted, close.StatusCode);
        var body = await close.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(fixture.Clock.GetUtcNow().AddDays(30), body.GetProperty("graceEndsAt").GetDateTimeOffset());
        return body.GetProperty("closureId").GetString()!;
    }

    [Fact]
    public async Task Only_an_owner_with_a_recent_mfa_closes_once_and_bad_requests_change_nothing()
    {
        using (var admin = fixture.UserClient(organization, ["Admin"])) await ProblemAsync(await admin.PostAsync("/v1/retention/closure", null), HttpStatusCode.Forbidden, "insufficient-role");
        using (var stale = fixture.UserClient(organization, ["Owner"], authenticatedAgo: TimeSpan.FromMinutes(20)))
            await ProblemAsync(await stale.PostAsync("/v1/retention/closure", null), HttpStatusCode.Unauthorized, "step-up-required");
        using (var noMfa = fixture.UserClient(organization, ["Owner"], mfa: false)) await ProblemAsync(await noMfa.PostAsync("/v1/retention/closure", null), HttpStatusCode.Unauthorized, "step-up-required");
        using (var owner = fixture.UserClient(organization, ["Owner"]))
        {
            await ProblemAsync(await owner.GetAsync("/v1/retention/closure"), HttpStatusCode.NotFound, "no-closure");
            await ProblemAsync(await owner.DeleteAsync("/v1/retention/closure"), HttpStatusCode.NotFound, "no-closure");
        }

        Assert.DoesNotContain(fixture.Events.All, e => e.RoutingKey == "organization.closure-requested" && e.Body.Contains(organization, StringComparison.Ordinal));

        var closureId = await CloseAsync();
        var requested = await fixture.Events.WaitForAsync("organization.closure-requested", e => e.GetProperty("organizationId").GetString() == organization);
        Assert.Equal(closureId, requested.GetProperty("closureId").GetString());
        using (var owner = fixture.UserClient(organization, ["Owner"]))
        {
            var twice = await ProblemAsync(await owner.PostAsync("/v1/retention/closure", null), HttpStatusCode.Conflict, "organization-closing");
            Assert.Equal(closureId, twice.GetProperty("closureId").GetString());
        }

        // Another organization's Owner reaches only their own (none).
        using (var other = fixture.UserClient($"org_{Guid.NewGuid():n}", ["Owner"])) await ProblemAsync(await other.DeleteAsync("/v1/retention/closure"), HttpStatusCode.NotFound, "no-closure");
        await fixture.WaitForOutboxAsync();
        Assert.Single(fixture.Events.All, e => e.RoutingKey == "organization.closure-requested" && e.Body.Contains(organization, StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Events.All, e => e.RoutingKey == "organization.closure-cancelled" && e.Body.Contains(closureId, StringComparison.Ordinal));
        var refusal = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("details").GetProperty("reason").GetString() == "organization-closing");
        Assert.Equal("usr_retention_tests", refusal.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task A_cancelled_closure_is_never_carried_out_and_the_organization_can_close_again()
    {
        var first = await CloseAsync();
        await fixture.AdvanceAsync(TimeSpan.FromDays(29));
        using (var owner = fixture.UserClient(organization, ["Owner"]))
        using (var cancel = await owner.DeleteAsync("/v1/retention/closure"))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
            Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        await fixture.Events.WaitForAsync("organization.closure-cancelled", e => e.GetProperty("closureId").GetString() == first);
        await fixture.AdvanceAsync(TimeSpan.FromDays(2));
        await PassAsync();
        Assert.Equal(0, DueCount(first));

        var second = await CloseAsync();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task After_the_grace_period_every_service_is_asked_with_the_holds_again_until_it_answers_and_the_answers_become_one_signed_receipt()
    {
        fixture.Neighbours.AddDataset(organization, "ds_evidence");
        using (var owner = fixture.UserClient(organization, ["Owner"]))
        using (var hold = await owner.PostAsJsonAsync("/v1/retention/holds", new { scope = "dataset", target = "ds_evidence", reason = "Case" }))
        {
            Assert.Equal(HttpStatusCode.Created, hold.StatusCode);
        }

        var closureId = await CloseAsync();
        await fixture.AdvanceAsync(TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1));
        await PassAsync();
        Assert.Equal(0, DueCount(closureId));

        await fixture.AdvanceAsync(TimeSpan.FromSeconds(2));
        await PassAsync();
        var due = await fixture.Events.WaitForAsync("organization.closure-due", e => e.GetProperty("closureId").GetString() == closureId);
        Assert.Equal(["ds_evidence"], due.GetProperty("holds").GetProperty("datasets").EnumerateArray().Select(d => d.GetString()!).ToArray());
        using (var owner = fixture.UserClient(organization, ["Owner"]))
        {
            await ProblemAsync(await owner.DeleteAsync("/v1/retention/closure"), HttpStatusCode.Conflict, "closure-grace-over");
            Assert.Equal("deleting", (await owner.GetFromJsonAsync<JsonElement>("/v1/retention/closure")).GetProperty("status").GetString());
        }

        var now = fixture.Clock.GetUtcNow();
        await Publisher.PublishAsync(Answer(closureId, "storage", new Dictionary<string, long> { ["objects"] = 3, ["datasets"] = 1 },
            [new ClosureHeldItem("dataset", "ds_evidence", "legal hold on the dataset")]), CancellationToken.None);
        // An answer naming another organization, and one from a service that is not a participant, change nothing.
        await Publisher.PublishAsync(Answer(closureId, "keys", new Dictionary<string, long> { ["apiKeys"] = 99 }, [], organizationId: $"org_{Guid.NewGuid():n}"), CancellationToken.None);
        await Publisher.PublishAsync(Answer(closureId, "storage-mars", new Dictionary<string, long> { ["objects"] = 99 }, []), CancellationToken.None);
        await WaitForAnswersAsync(closureId, 1);

        // Keys and identity are silent: asked again after the retry delay, never forgotten.
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(5));
        await PassAsync();
        Assert.Equal(2, DueCount(closureId));

        await Publisher.PublishAsync(Answer(closureId, "keys", new Dictionary<string, long> { ["apiKeys"] = 2, ["secrets"] = 1 }, []), CancellationToken.None);
        await Publisher.PublishAsync(Answer(closureId, "identity", new Dictionary<string, long> { ["memberships"] = 4 }, []), CancellationToken.None);
        var closed = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("organizationId").GetString() == organization && e.GetProperty("action").GetString() == "organization.closed");

        using var reader = fixture.UserClient(organization, ["Admin"]);
        var closure = await reader.GetFromJsonAsync<JsonElement>("/v1/retention/closure");
        Assert.Equal("closed", closure.GetProperty("status").GetString());
        var text = closure.GetProperty("receipt").GetString()!;
        var signature = closure.GetProperty("signature").GetString()!;
        Assert.Equal(signature, closed.GetProperty("details").GetProperty("receiptSignature").GetString());
        Assert.True(ReceiptSigner.Verify(closure.GetProperty("verifierKey").GetString()!, text, signature));
        Assert.False(ReceiptSigner.Verify(closure.GetProperty("verifierKey").GetString()!, text.Replace("\"objects\":3", "\"objects\":2"), signature));
        var receipt = JsonDocument.Parse(text).RootElement;
        var services = receipt.GetProperty("services").EnumerateArray().ToDictionary(s => s.GetProperty("participant").GetString()!);
        // The strangers' answers (published before the real ones) counted for nothing: no storage-mars, keys' own figures.
        Assert.Equal(["identity", "keys", "retention", "storage"], services.Keys.Order().ToArray());
        Assert.Equal(3, services["storage"].GetProperty("deleted").GetProperty("objects").GetInt64());
        Assert.Equal(2, services["keys"].GetProperty("deleted").GetProperty("apiKeys").GetInt64());
        Assert.Equal("ds_evidence", services["storage"].GetProperty("held")[0].GetProperty("id").GetString());
        Assert.Equal(now.AddDays(2555).Date, receipt.GetProperty("kept").EnumerateArray().Single(k => k.GetProperty("dataClass").GetString() == "billing_record").GetProperty("until").GetDateTimeOffset().Date);
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(10));
        await PassAsync();
        Assert.Equal(2, DueCount(closureId));
    }

    private ClosureAnswered Answer(string closureId, string participant, Dictionary<string, long> deleted, List<ClosureHeldItem> held, string? organizationId = null) => new()
    {
        OrganizationId = organizationId ?? organization, OccurredAt = fixture.Clock.GetUtcNow(), ClosureId = closureId, Participant = participant, Deleted = deleted, Held = held,
    };

    private async Task WaitForAnswersAsync(string closureId, int count)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(fixture.Servers.GetConnectionString("retentiondb"));
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM closure_answers WHERE closure_id = $1");
        command.Parameters.Add(new() { Value = closureId });
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while ((long)(await command.ExecuteScalarAsync())! < count)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail($"{count} answers not stored within 15 s.");
            await Task.Delay(50);
        }
    }
}
