using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Platform.Audit.Events;
using Platform.Messaging;

namespace Platform.Audit.Tests;

/// <summary>SIEM delivery (issue 15 item 6) to a real syslog-ng over TLS: everything arrives, also across the receiver's death.</summary>
[Collection(AuditServiceCollection.Name)]
public sealed class SiemDeliveryTests(AuditServiceFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("n")[..12];

    [Fact]
    public async Task Every_entry_reaches_syslog_ng_over_tls_and_none_is_lost_when_the_receiver_is_killed_mid_stream()
    {
        await using var receiver = await SyslogNg.StartAsync();
        var organization = $"org_siem_{run}";
        using var client = Client(AuditServiceFixture.OperatorToken);
        using (var created = await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}",
            new { endpoint = $"localhost:{receiver.Port}", caCertificate = receiver.CaCertificatePem, start = "beginning" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        // Fields a caller controls cannot break the framing or the structured data.
        var hostile = $"key_{run}\"] \\ [x=\"y\" ünï";
        var first = Enumerable.Range(0, 150).Select(i => Event(organization, i == 7 ? hostile : $"key_{run}", $"req_{run}_{i}")).ToList();
        await PublishAsync(first);
        await WaitUntilAsync(() => Ids(receiver).IsSupersetOf(first.Select(e => e.Id)), "the first 150 entries at the receiver");
        var line = receiver.Received().First(l => l[0] == first[7].Id);
        Assert.Equal(["platform-audit", "key.created", "notice", hostile], line[1..]);

        // Killed outright, mid-stream: what it had not read is gone with it, and delivery must notice.
        await receiver.KillAsync();
        var second = Enumerable.Range(150, 250).Select(i => Event(organization, $"key_{run}", $"req_{run}_{i}")).ToList();
        await PublishAsync(second);
        var failing = await WaitForStatusAsync(client, organization, s => s.GetProperty("failures").GetInt32() > 0 && s.GetProperty("lag").GetInt64() > 0);
        Assert.False(string.IsNullOrEmpty(failing.GetProperty("lastError").GetString()));
        Assert.True(failing.GetProperty("nextAttemptAt").GetDateTimeOffset() > failing.GetProperty("lastErrorAt").GetDateTimeOffset(), "A failed attempt waits before the next one.");

        await receiver.StartAgainAsync();
        var all = first.Concat(second).Select(e => e.Id).ToList();
        await WaitUntilAsync(() => Ids(receiver).IsSupersetOf(all), "all 400 entries at the receiver after its restart");
        // The log also holds the audit service's own entry about the destination being set up: delivered like any other.
        Assert.Contains(receiver.Received(), l => l[2] == "audit.siem-destination.created");
        var received = receiver.Received().Where(l => l[2] == "key.created").Select(l => l[0]).ToList();
        Assert.Empty(received.Except(all));
        // At least once: only what was in flight when it died may come twice.
        Assert.True(received.Count - all.Count <= 500, $"{received.Count - all.Count} duplicates");
        var delivered = await WaitForStatusAsync(client, organization, s => s.GetProperty("lag").GetInt64() == 0);
        Assert.Equal(0, delivered.GetProperty("failures").GetInt32());
        Assert.NotNull(delivered.GetProperty("lastDeliveredAt").GetString());
    }

    [Theory]
    [InlineData("udp://siem.example.com:514")]
    [InlineData("tcp://siem.example.com:6514")]
    [InlineData("siem.example.com")]
    [InlineData("siem.example.com:0")]
    [InlineData("siem.example.com:70000")]
    [InlineData("not a host:6514")]
    [InlineData("")]
    public async Task An_endpoint_that_is_not_a_tls_host_and_port_is_refused_and_nothing_is_stored(string endpoint)
    {
        var organization = $"org_siem_{run}";
        using var client = Client(AuditServiceFixture.OperatorToken);
        await AssertRefusedAsync(await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}", new { endpoint }));
        Assert.Empty(await ListAsync(client, organization));
    }

    [Fact]
    public async Task A_bad_certificate_or_start_is_refused()
    {
        var organization = $"org_siem_{run}";
        using var client = Client(AuditServiceFixture.OperatorToken);
        await AssertRefusedAsync(await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}",
            new { endpoint = "siem.example.com:6514", caCertificate = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----" }));
        await AssertRefusedAsync(await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}",
            new { endpoint = "siem.example.com:6514", start = "yesterday" }));
        Assert.Empty(await ListAsync(client, organization));
    }

    [Theory]
    [InlineData("127.0.0.1:6514")]
    [InlineData("10.1.2.3:6514")]
    [InlineData("169.254.169.254:6514")]
    [InlineData("[::1]:6514")]
    [InlineData("[fd00::1]:6514")]
    public async Task A_destination_inside_the_platforms_network_is_refused_where_private_networks_are_not_allowed(string endpoint)
    {
        await using var strict = fixture.Service.WithWebHostBuilder(web => web.ConfigureAppConfiguration((_, configuration) =>
            configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Audit:Siem:AllowPrivateNetworks"] = "false" })));
        using var client = strict.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditServiceFixture.OperatorToken);
        var organization = $"org_siem_{run}";
        await AssertRefusedAsync(await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}", new { endpoint }));
        Assert.Empty(await ListAsync(client, organization));
    }

    [Fact]
    public async Task A_credential_of_one_organization_never_reaches_another_organizations_destinations()
    {
        using var operatorClient = Client(AuditServiceFixture.OperatorToken);
        var other = $"org_b_{run}";
        using var created = await operatorClient.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={other}", new { endpoint = "siem.example.com:6514" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        using var tenant = Client(AuditServiceFixture.TenantToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={other}", new { endpoint = "evil.example.com:6514" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.GetAsync($"/v1/audit/siem/destinations?organization={other}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await tenant.DeleteAsync($"/v1/audit/siem/destinations/{id}?organization={other}")).StatusCode);
        // Its own organization named, another's destination id: as absent as none.
        Assert.Equal(HttpStatusCode.NotFound, (await tenant.DeleteAsync($"/v1/audit/siem/destinations/{id}?organization=org_a")).StatusCode);
        Assert.Single(await ListAsync(operatorClient, other));
        Assert.Equal(HttpStatusCode.NoContent, (await operatorClient.DeleteAsync($"/v1/audit/siem/destinations/{id}?organization={other}")).StatusCode);
    }

    [Fact]
    public async Task Owners_and_admins_manage_their_own_organizations_destinations_auditors_only_see_them_and_nobody_reaches_another()
    {
        var own = $"org_c{run}";
        var other = $"org_d{run}";
        using var owner = fixture.UserClient(own, "Owner");
        using (var created = await owner.PostAsJsonAsync("/v1/audit/siem/destinations", new { endpoint = "siem.example.com:6514" }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        using var admin = fixture.UserClient(own, "Admin");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={own}", new { endpoint = "siem2.example.com:6514" })).StatusCode);
        using var auditor = fixture.UserClient(own, "Auditor");
        var listed = await ListAsync(auditor, own);
        Assert.Equal(2, listed.Count);
        var id = listed[0].GetProperty("id").GetString();
        using (var refused = await auditor.PostAsJsonAsync("/v1/audit/siem/destinations", new { endpoint = "siem3.example.com:6514" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("https://platform.dev/problems/insufficient-role", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.DeleteAsync($"/v1/audit/siem/destinations/{id}")).StatusCode);
        using var developer = fixture.UserClient(own, "Developer");
        Assert.Equal(HttpStatusCode.Forbidden, (await developer.GetAsync("/v1/audit/siem/destinations")).StatusCode);

        // Another organization's Owner: by name refused, by id as absent as none; nothing changed.
        using var stranger = fixture.UserClient(other, "Owner");
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"/v1/audit/siem/destinations?organization={own}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={own}", new { endpoint = "evil.example.com:6514" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"/v1/audit/siem/destinations/{id}")).StatusCode);
        Assert.Empty(await ListAsync(stranger, other));
        Assert.Equal(2, (await ListAsync(owner, own)).Count);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/audit/siem/destinations/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/v1/audit/siem/destinations/{listed[1].GetProperty("id").GetString()}")).StatusCode);
    }

    [Fact]
    public async Task An_organization_has_at_most_ten_destinations()
    {
        var organization = $"org_siem_{run}";
        using var client = Client(AuditServiceFixture.OperatorToken);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}", new { endpoint = $"siem{i}.example.com:6514" })).StatusCode);
        }

        using var eleventh = await client.PostAsJsonAsync($"/v1/audit/siem/destinations?organization={organization}", new { endpoint = "siem10.example.com:6514" });
        Assert.Equal(HttpStatusCode.Conflict, eleventh.StatusCode);
        Assert.Equal("https://platform.dev/problems/siem-destination-limit", (await eleventh.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        var all = await ListAsync(client, organization);
        Assert.Equal(10, all.Count);
        // Removed again: receivers that do not exist would keep the delivery loop busy for the other tests.
        foreach (var destination in all)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/v1/audit/siem/destinations/{destination.GetProperty("id").GetString()}?organization={organization}")).StatusCode);
        }
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/siem-destination-invalid", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string organization) =>
        [.. (await client.GetFromJsonAsync<JsonElement>($"/v1/audit/siem/destinations?organization={organization}")).GetProperty("items").EnumerateArray()];

    private static async Task<JsonElement> WaitForStatusAsync(HttpClient client, string organization, Func<JsonElement, bool> condition)
    {
        JsonElement status = default;
        await WaitUntilAsync(async () =>
        {
            status = (await ListAsync(client, organization)).Single().GetProperty("status");
            return condition(status);
        }, "a delivery status");
        return status;
    }

    private static HashSet<string> Ids(SyslogNg receiver) => [.. receiver.Received().Select(l => l[0])];

    private static Task WaitUntilAsync(Func<bool> condition, string what) => WaitUntilAsync(() => Task.FromResult(condition()), what);

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"Waited 60 s for {what}.");
            await Task.Delay(100);
        }
    }

    private Task PublishAsync(IEnumerable<AuditRecorded> events) =>
        fixture.Service.Services.GetRequiredService<IEventPublisher>().PublishAsync([new AuditBatchRecorded { Events = [.. events] }], CancellationToken.None);

    private static AuditRecorded Event(string organization, string actor, string requestId) => new()
    {
        OccurredAt = DateTimeOffset.UtcNow, OrganizationId = organization, Actor = actor, Action = "key.created", Target = "key_1",
        Outcome = "success", Ip = "198.51.100.20", RequestId = requestId,
    };

    private HttpClient Client(string token)
    {
        var client = fixture.Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
