using System.Net;
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
/// Issue 15 item 4: an organization's Owners, Admins and Auditors read their own log with identity access tokens, which
/// the service validates itself; nobody else reads it, and no member of one organization reaches another's.
/// </summary>
[Collection(AuditServiceCollection.Name)]
public sealed class CustomerAccessTests(AuditServiceFixture fixture)
{
    private const string ProblemBase = "https://platform.dev/problems/";
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    private string OrgA => $"org_a{run}";

    private string OrgB => $"org_b{run}";

    [Theory]
    [InlineData("Owner")]
    [InlineData("Admin")]
    [InlineData("Auditor")]
    public async Task Owners_admins_and_auditors_read_their_own_organizations_log_and_only_it(string role)
    {
        await StoreAsync(Event(OrgA, "a1"), Event(OrgA, "a2"), Event(OrgB, "b1"));
        using var reader = fixture.UserClient(OrgA, role);

        // Without 'organization' a customer reads its own organization's log; naming it is the same.
        foreach (var query in new[] { "", $"organization={OrgA}&" })
        {
            var page = await reader.GetFromJsonAsync<JsonElement>($"/v1/audit/events?{query}limit=500");
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.Equal([$"req_{run}_a2", $"req_{run}_a1"], items.Select(i => i.GetProperty("requestId").GetString()));
            Assert.All(items, i => Assert.Equal(OrgA, i.GetProperty("organizationId").GetString()));
        }
    }

    [Theory]
    [InlineData("Developer")]
    [InlineData("Viewer")]
    [InlineData("Billing")]
    public async Task Other_roles_get_a_403_problem_and_the_refusal_is_audited(string role)
    {
        await StoreAsync(Event(OrgA, "a1"));
        using var member = fixture.UserClient(OrgA, role, subject: $"usr_{run}");

        foreach (var path in new[] { "/v1/audit/events", "/v1/audit/events/export?format=csv", "/v1/audit/checkpoints/latest", "/v1/audit/proofs/consistency?from=1&to=1" })
        {
            using var response = await member.GetAsync(path);
            await AssertProblemAsync(response, HttpStatusCode.Forbidden, "insufficient-role");
        }

        var refusals = await OperatorItemsAsync($"actor=usr_{run}&action=request.refused");
        Assert.Equal(4, refusals.Count);
        Assert.All(refusals, r => Assert.Equal(OrgA, r.GetProperty("organizationId").GetString()));
    }

    [Fact]
    public async Task A_token_without_the_audit_scope_is_refused()
    {
        using var client = fixture.UserClient(OrgA, "Owner", scope: "platform.keys");
        using var response = await client.GetAsync("/v1/audit/events");
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "insufficient-scope");
        Assert.Contains("platform.audit", response.Headers.WwwAuthenticate.Single().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_naming_another_organization_is_refused_nothing_is_read_and_the_refusal_names_who_and_from_where()
    {
        await StoreAsync(Event(OrgB, "b1"));
        using var owner = fixture.UserClient(OrgA, "Owner", subject: $"usr_{run}");

        foreach (var path in new[]
        {
            $"/v1/audit/events?organization={OrgB}",
            $"/v1/audit/events/export?organization={OrgB}&format=ndjson",
            $"/v1/audit/checkpoints/latest?organization={OrgB}",
            $"/v1/audit/proofs/consistency?organization={OrgB}&from=1&to=1",
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            // The gateway's report of the client's address (trusted here: the fixture sets no signing key).
            request.Headers.Add("X-Platform-Client-Address", "198.51.100.7");
            using var response = await owner.SendAsync(request);
            var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
            Assert.DoesNotContain($"req_{run}_b1", problem.GetRawText(), StringComparison.Ordinal);
        }

        using var verification = await owner.PostAsync($"/v1/audit/verifications?organization={OrgB}", null);
        await AssertProblemAsync(verification, HttpStatusCode.Forbidden, "forbidden");

        var refusals = await OperatorItemsAsync($"actor=usr_{run}&action=request.refused&organization={OrgA}");
        Assert.Equal(5, refusals.Count);
        Assert.All(refusals, r =>
        {
            Assert.Equal("denied", r.GetProperty("outcome").GetString());
            Assert.Equal(OrgB, r.GetProperty("details").GetProperty("requestedOrganization").GetString());
            Assert.Equal("other-organization", r.GetProperty("details").GetProperty("reason").GetString());
        });
        Assert.Equal(4, refusals.Count(r => r.GetProperty("ip").GetString() == "198.51.100.7"));
        // Nothing of B's log reached A: B's log holds its event and nothing else.
        Assert.Single(await OperatorItemsAsync($"organization={OrgB}"));
    }

    [Fact]
    public async Task A_cursor_from_another_organizations_page_is_refused_and_audited()
    {
        await StoreAsync(Enumerable.Range(0, 3).Select(i => Event(OrgB, $"b{i}")).ToArray());
        using var ownerOfB = fixture.UserClient(OrgB, "Owner");
        var page = await ownerOfB.GetFromJsonAsync<JsonElement>("/v1/audit/events?limit=1");
        var cursor = page.GetProperty("nextCursor").GetString()!;

        using var ownerOfA = fixture.UserClient(OrgA, "Owner", subject: $"usr_{run}");
        using var response = await ownerOfA.GetAsync($"/v1/audit/events?limit=1&cursor={cursor}");
        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        var refusal = Assert.Single(await OperatorItemsAsync($"actor=usr_{run}&action=request.refused"));
        Assert.Equal("cursor", refusal.GetProperty("details").GetProperty("through").GetString());

        // An operator of every organization who mixes two queries' cursors gets a 400, not rows of the other log.
        using var @operator = Operator();
        using var mixed = await @operator.GetAsync($"/v1/audit/events?organization={OrgA}&cursor={cursor}");
        await AssertProblemAsync(mixed, HttpStatusCode.BadRequest, "invalid-query");
    }

    [Fact]
    public async Task Principal_headers_without_a_token_are_not_a_customer()
    {
        // Someone past the gateway writing the headers the gateway would write for a user (or a key): no credential here.
        using var client = fixture.Service.CreateClient();
        foreach (var headers in new[]
        {
            new Dictionary<string, string> { ["X-Platform-User"] = "usr_forged", ["X-Platform-Organization"] = OrgA, ["X-Platform-Roles"] = "Owner" },
            new Dictionary<string, string> { ["X-Platform-Key-Id"] = "key_forged", ["X-Platform-Organization"] = OrgA, ["X-Platform-Environment"] = "live" },
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/audit/events");
            foreach (var (name, value) in headers) request.Headers.Add(name, value);
            using var response = await client.SendAsync(request);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        }
    }

    [Fact]
    public async Task A_forged_or_expired_token_is_refused()
    {
        var forged = AccessTokens.Create(TimeProvider.System, OrgA, ["Owner"], false, TimeSpan.Zero, scope: "platform.audit",
            key: new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256)) { KeyId = "audit-tests" });
        var expired = AccessTokens.Create(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-1)), OrgA, ["Owner"], false, TimeSpan.Zero);
        foreach (var token in new[] { forged, expired })
        {
            using var client = fixture.Service.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.GetAsync("/v1/audit/events");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task The_outcome_filter_narrows_the_result()
    {
        await StoreAsync(Event(OrgA, "ok"), Event(OrgA, "no") with { Outcome = "denied" });
        using var auditor = fixture.UserClient(OrgA, "Auditor");
        var denied = await auditor.GetFromJsonAsync<JsonElement>("/v1/audit/events?outcome=denied");
        Assert.Equal($"req_{run}_no", denied.GetProperty("items").EnumerateArray().Single().GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task A_customer_reads_its_own_logs_checkpoint_and_proofs_and_verifies_it()
    {
        await StoreAsync(Event(OrgA, "a1"), Event(OrgA, "a2"));
        await fixture.Service.Services.GetRequiredService<CheckpointPublisher>().PublishAllAsync(CancellationToken.None);
        using var auditor = fixture.UserClient(OrgA, "Auditor");

        var checkpoint = await auditor.GetFromJsonAsync<JsonElement>("/v1/audit/checkpoints/latest");
        Assert.Equal(2, checkpoint.GetProperty("treeSize").GetInt64());
        Assert.EndsWith($"/{OrgA}", checkpoint.GetProperty("origin").GetString(), StringComparison.Ordinal);
        var eventId = (await auditor.GetFromJsonAsync<JsonElement>("/v1/audit/events")).GetProperty("items")[0].GetProperty("eventId").GetString();
        var inclusion = await auditor.GetFromJsonAsync<JsonElement>($"/v1/audit/proofs/inclusion?eventId={eventId}");
        Assert.Equal(1, inclusion.GetProperty("leafIndex").GetInt64());
        using var verification = await auditor.PostAsync("/v1/audit/verifications", null);
        Assert.True((await verification.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("verified").GetBoolean());
    }

    [Fact]
    public async Task Dead_letters_stay_with_operators()
    {
        using var owner = fixture.UserClient(OrgA, "Owner");
        using var response = await owner.GetAsync("/v1/audit/dead-letters");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    internal AuditRecorded Event(string organization, string name) => new()
    {
        OccurredAt = DateTimeOffset.UtcNow,
        OrganizationId = organization,
        Actor = $"usr_actor_{run}",
        Action = "key.created",
        Target = "key_1",
        Outcome = "success",
        Ip = "203.0.113.9",
        RequestId = $"req_{run}_{name}",
        UserAgent = "tests",
        Details = new Dictionary<string, string> { ["status"] = "201" },
    };

    /// <summary>Stores the events one after another, straight into the log (as the bus's consumer would).</summary>
    internal async Task StoreAsync(params AuditRecorded[] events)
    {
        var dataSource = fixture.Service.Services.GetRequiredService<NpgsqlDataSource>();
        await using var connection = await dataSource.OpenConnectionAsync();
        foreach (var @event in events)
        {
            await fixture.Service.Services.GetRequiredService<AuditStore>().InsertAsync([@event], connection, null, CancellationToken.None);
            // Distinct times, so that newest-first order is the order stored.
            await Task.Delay(2);
        }
    }

    private HttpClient Operator()
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditServiceFixture.OperatorToken);
        return client;
    }

    private async Task<List<JsonElement>> OperatorItemsAsync(string query)
    {
        using var client = Operator();
        var page = await client.GetFromJsonAsync<JsonElement>($"/v1/audit/events?{query}&limit=500");
        return page.GetProperty("items").EnumerateArray().ToList();
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string slug)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(ProblemBase + slug, problem.GetProperty("type").GetString());
        return problem;
    }
}
