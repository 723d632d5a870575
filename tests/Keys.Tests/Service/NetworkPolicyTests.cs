using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Platform.Keys.Tests.Infrastructure;
using StackExchange.Redis;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

/// <summary>Organizations' IP allowlists (SPEC GW-IP): administered here, read by the gateway, announced on change.</summary>
[Collection(KeysServiceCollection.Name)]
public sealed class NetworkPolicyTests(KeysServiceFixture fixture)
{
    private const string InvalidRequest = "https://platform.dev/problems/invalid-request";

    [Fact]
    public async Task An_organization_that_never_set_a_policy_is_unrestricted()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();

        var policy = await client.GetFromJsonAsync<JsonElement>(Path(organization));

        Assert.Equal(organization, policy.GetProperty("organizationId").GetString());
        Assert.Empty(policy.GetProperty("allowedCidrs").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, policy.GetProperty("updatedAt").ValueKind);
        Assert.Empty(await GatewayViewAsync(organization));
    }

    [Fact]
    public async Task A_policy_is_stored_normalised_without_duplicates_and_served_to_the_gateway()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();

        using var response = await client.PutAsync(Path(organization), Json(new
        {
            allowedCidrs = new[] { "203.0.113.0/24", "2001:DB8::/32", "198.51.100.7", "203.0.113.0/24", "2001:db8::/32", "2001:db8::1" },
        }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await response.Content.ReadFromJsonAsync<JsonElement>();
        string[] expected = ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32", "2001:db8::1/128"];
        Assert.Equal(organization, stored.GetProperty("organizationId").GetString());
        Assert.Equal(expected, Cidrs(stored));
        Assert.Equal(fixture.Clock.GetUtcNow().UtcDateTime, stored.GetProperty("updatedAt").GetDateTimeOffset().UtcDateTime, TimeSpan.FromMilliseconds(1));
        Assert.EndsWith("Z", stored.GetProperty("updatedAt").GetString(), StringComparison.Ordinal);

        var read = await client.GetFromJsonAsync<JsonElement>(Path(organization));
        Assert.Equal(expected, Cidrs(read));
        Assert.Equal(stored.GetProperty("updatedAt").GetString(), read.GetProperty("updatedAt").GetString());
        Assert.Equal(expected, await GatewayViewAsync(organization));
    }

    [Fact]
    public async Task An_empty_list_lifts_the_restriction()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        await PutAsync(client, organization, "10.0.0.0/8");

        using var response = await client.PutAsync(Path(organization), Json(new { allowedCidrs = Array.Empty<string>() }));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(Cidrs(await response.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Empty(await GatewayViewAsync(organization));
    }

    [Fact]
    public async Task Policies_belong_to_their_own_organization()
    {
        using var client = fixture.Client();
        var first = NewOrganization();
        var second = NewOrganization();
        await PutAsync(client, first, "192.0.2.0/24");
        await PutAsync(client, second, "198.51.100.0/24");

        Assert.Equal(["192.0.2.0/24"], await GatewayViewAsync(first));
        Assert.Equal(["198.51.100.0/24"], await GatewayViewAsync(second));
    }

    [Fact]
    public async Task A_hundred_ranges_are_accepted()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var hundred = Enumerable.Range(0, 100).Select(i => $"10.{i}.0.0/16").ToArray();
        using var response = await client.PutAsync(Path(organization), Json(new { allowedCidrs = hundred }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(hundred, await GatewayViewAsync(organization));
    }

    public static TheoryData<string, string> InvalidBodies => new()
    {
        { """{"allowedCidrs":["10.1.2.3/8"]}""", "allowedCidrs[0]" },
        { """{"allowedCidrs":["10.0.0.0/8","office","2001:db8::/129"]}""", "allowedCidrs[1]|allowedCidrs[2]" },
        { """{"allowedCidrs":["10.0.0.0/33"]}""", "allowedCidrs[0]" },
        { """{"allowedCidrs":["10.1"]}""", "allowedCidrs[0]" },
        { """{"allowedCidrs":["fe80::1%eth0"]}""", "allowedCidrs[0]" },
        { """{"allowedCidrs":[""]}""", "allowedCidrs[0]" },
        { """{"allowedCidrs":[null]}""", "allowedCidrs[0]" },
        { "{\"allowedCidrs\":[" + string.Join(',', Enumerable.Range(0, 101).Select(i => $"\"10.{i}.0.0/16\"")) + "]}", "allowedCidrs" },
        { """{"allowedCidrs":null}""", "" },
        { """{"allowedCidrs":"10.0.0.0/8"}""", "" },
        { """{"allowedCidrs":[42]}""", "" },
        { """{"allowedCidrs":["10.0.0.0/8"],"mode":"deny"}""", "" },
        { """{}""", "" },
        { """{"allowedCidrs":[""", "" },
        { "[]", "" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(InvalidBodies))]
    public async Task An_invalid_policy_is_a_400_problem_and_changes_nothing(string body, string fields)
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var before = await PutAsync(client, organization, "192.0.2.0/24");
        using var announcements = await Announcements.StartAsync(fixture);

        using var response = await client.PutAsync(Path(organization), Raw(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(InvalidRequest, problem.GetProperty("type").GetString());
        foreach (var field in fields.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"No error for {field}: {problem}");
        }

        var after = await client.GetFromJsonAsync<JsonElement>(Path(organization));
        Assert.Equal(["192.0.2.0/24"], Cidrs(after));
        Assert.Equal(before.GetProperty("updatedAt").GetString(), after.GetProperty("updatedAt").GetString());
        Assert.Equal(["192.0.2.0/24"], await GatewayViewAsync(organization));
        await announcements.ExpectNoneAsync(organization);
    }

    [Fact]
    public async Task A_non_json_or_oversized_body_is_refused()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        using var text = await client.PutAsync(Path(organization), new StringContent("10.0.0.0/8"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        using var large = await client.PutAsync(Path(organization), Raw($$"""{"allowedCidrs":["{{new string('1', 70_000)}}"]}"""));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Empty(await GatewayViewAsync(organization));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("org_a-b")]
    [InlineData("org_")]
    public async Task A_malformed_organization_id_is_a_400(string organization)
    {
        using var admin = fixture.Client();
        using var get = await admin.GetAsync(Path(organization));
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        using var put = await admin.PutAsync(Path(organization), Json(new { allowedCidrs = new[] { "10.0.0.0/8" } }));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        using var gateway = fixture.Client(KeysServiceFixture.ServiceToken);
        using var internalGet = await gateway.GetAsync(InternalPath(organization));
        Assert.Equal(HttpStatusCode.BadRequest, internalGet.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token-0123456789-0123456789-abcdef")]
    [InlineData("Bearer " + KeysServiceFixture.ServiceToken)]
    [InlineData("Basic cm9vdDpyb290")]
    public async Task Without_an_administrator_credential_the_answer_is_401_and_nothing_changes(string? authorization)
    {
        using var admin = fixture.Client();
        var organization = NewOrganization();
        await PutAsync(admin, organization, "192.0.2.0/24");
        using var client = fixture.Client(token: null);
        if (authorization is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);

        using var get = await client.GetAsync(Path(organization));
        using var put = await client.PutAsync(Path(organization), Json(new { allowedCidrs = Array.Empty<string>() }));

        foreach (var response in new[] { get, put })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal("https://platform.dev/problems/unauthenticated", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        }

        Assert.Equal(["192.0.2.0/24"], await GatewayViewAsync(organization));
    }

    [Fact]
    public async Task An_administrator_of_one_organization_sets_only_that_ones_policy()
    {
        using var root = fixture.Client();
        var other = NewOrganization();
        await PutAsync(root, other, "192.0.2.0/24");
        using var tenant = fixture.Client(KeysServiceFixture.TenantToken);

        using var own = await tenant.PutAsync(Path(KeysServiceFixture.TenantOrganization), Json(new { allowedCidrs = new[] { "198.51.100.0/24" } }));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        using var read = await tenant.GetAsync(Path(other));
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);
        using var write = await tenant.PutAsync(Path(other), Json(new { allowedCidrs = Array.Empty<string>() }));
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("https://platform.dev/problems/forbidden", (await write.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());

        Assert.Equal(["192.0.2.0/24"], await GatewayViewAsync(other));
        // Put back the way the other tests expect it: no restriction on the shared tenant organization.
        (await tenant.PutAsync(Path(KeysServiceFixture.TenantOrganization), Json(new { allowedCidrs = Array.Empty<string>() }))).Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData(KeysServiceFixture.RootToken)]
    [InlineData("not-the-service-token-0123456789-0123456789")]
    public async Task Only_a_service_credential_reads_the_gateway_view(string? token)
    {
        using var client = fixture.Client(token);
        using var response = await client.GetAsync(InternalPath(NewOrganization()));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_gateway_view_is_only_the_ranges()
    {
        using var admin = fixture.Client();
        var organization = NewOrganization();
        await PutAsync(admin, organization, "192.0.2.0/24");
        using var gateway = fixture.Client(KeysServiceFixture.ServiceToken);

        var answer = await gateway.GetFromJsonAsync<JsonElement>(InternalPath(organization));

        Assert.Equal(["allowedCidrs"], answer.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public async Task A_change_is_audited_and_announced_through_the_outbox()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var requestId = $"req_{Guid.NewGuid():N}";
        client.DefaultRequestHeaders.Add("X-Request-Id", requestId);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("keys-tests/1.0");

        await PutAsync(client, organization, "192.0.2.0/24", "198.51.100.0/24");
        await PutAsync(client, organization, "203.0.113.0/24");

        var first = await fixture.Events.WaitForAsync("audit.recorded", e => Text(e, "action") == "organization.network-policy.changed"
            && Text(e, "target") == organization && Detail(e, "previousCount") == "0");
        Assert.Equal("2", Detail(first, "count"));
        Assert.Equal("operator:root", Text(first, "actor"));
        Assert.Equal(organization, Text(first, "organizationId"));
        Assert.Equal("success", Text(first, "outcome"));
        Assert.Equal(requestId, Text(first, "requestId"));
        Assert.Equal("keys-tests/1.0", Text(first, "userAgent"));
        var second = await fixture.Events.WaitForAsync("audit.recorded", e => Text(e, "action") == "organization.network-policy.changed"
            && Text(e, "target") == organization && Detail(e, "previousCount") == "2");
        Assert.Equal("1", Detail(second, "count"));

        var changed = await fixture.Events.WaitForAsync("organization.network-policy.changed",
            e => Text(e, "organizationId") == organization && e.GetProperty("previousCount").GetInt32() == 2);
        Assert.Equal(1, changed.GetProperty("count").GetInt32());
        Assert.StartsWith("evt_", Text(changed, "id"), StringComparison.Ordinal);

        // Counts only: the ranges themselves stay out of the audit trail and the event.
        Assert.All(fixture.Events.All.Where(e => e.Body.Contains(organization, StringComparison.Ordinal)),
            e => Assert.DoesNotContain("203.0.113.0", e.Body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Setting_the_same_ranges_again_is_no_change()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var first = await PutAsync(client, organization, "192.0.2.0/24", "2001:db8::/32");
        await fixture.Events.WaitForAsync("organization.network-policy.changed", e => Text(e, "organizationId") == organization);
        using var announcements = await Announcements.StartAsync(fixture);
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(1));

        var again = await PutAsync(client, organization, "2001:DB8::/32", "192.0.2.0/24");

        Assert.Equal(first.GetProperty("updatedAt").GetString(), again.GetProperty("updatedAt").GetString());
        await announcements.ExpectNoneAsync(organization);
        Assert.Single(fixture.Events.All, e => e.RoutingKey == "organization.network-policy.changed" && e.Body.Contains(organization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_gateway_hears_of_a_change_on_redis_within_one_second()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        using var announcements = await Announcements.StartAsync(fixture);

        var sent = System.Diagnostics.Stopwatch.StartNew();
        await PutAsync(client, organization, "192.0.2.0/24");
        await announcements.ExpectAsync(organization, TimeSpan.FromSeconds(1));
        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(1), $"Took {sent.Elapsed}.");

        await PutAsync(client, organization);
        await announcements.ExpectAsync(organization, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Refused_requests_announce_nothing()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        using var announcements = await Announcements.StartAsync(fixture);

        (await client.PutAsync(Path(organization), Json(new { allowedCidrs = new[] { "10.0.0.1/8" } }))).Dispose();
        using var tenant = fixture.Client(KeysServiceFixture.TenantToken);
        (await tenant.PutAsync(Path(organization), Json(new { allowedCidrs = new[] { "10.0.0.0/8" } }))).Dispose();
        using var anonymous = fixture.Client(token: null);
        (await anonymous.PutAsync(Path(organization), Json(new { allowedCidrs = new[] { "10.0.0.0/8" } }))).Dispose();

        await announcements.ExpectNoneAsync(organization);
        // ExpectNoneAsync's marker change went through the same outbox after the refused requests: its event
        // arriving means any event of theirs would have too. Refusals and operator uses are audited; nothing else is.
        await fixture.Events.WaitForAsync("organization.network-policy.changed", e => Text(e, "organizationId") == announcements.LastMarker);
        Assert.DoesNotContain(fixture.Events.All, e => e.Body.Contains(organization, StringComparison.Ordinal)
            && !(e.RoutingKey == "audit.recorded" && (e.Body.Contains("\"request.refused\"", StringComparison.Ordinal)
                || e.Body.Contains("\"operator.request\"", StringComparison.Ordinal) || e.Body.Contains("\"operator.credential-refused\"", StringComparison.Ordinal))));
        Assert.Empty(await GatewayViewAsync(organization));
    }

    private static string Path(string organization) => $"/v1/organizations/{organization}/network-policy";

    private static string InternalPath(string organization) => $"/internal/v1/organizations/{organization}/network-policy";

    private static async Task<JsonElement> PutAsync(HttpClient client, string organization, params string[] cidrs)
    {
        using var response = await client.PutAsync(Path(organization), Json(new { allowedCidrs = cidrs }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string[]> GatewayViewAsync(string organization)
    {
        using var gateway = fixture.Client(KeysServiceFixture.ServiceToken);
        using var response = await gateway.GetAsync(InternalPath(organization));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Cidrs(await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static string[] Cidrs(JsonElement policy) => policy.GetProperty("allowedCidrs").EnumerateArray().Select(c => c.GetString()!).ToArray();

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Detail(JsonElement audit, string name) =>
        audit.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Object ? Text(details, name) : null;

    /// <summary>A gateway's subscription to <c>platform:organizations:network-policy-changed</c>.</summary>
    private sealed class Announcements : IDisposable
    {
        private static readonly RedisChannel Channel = RedisChannel.Literal("platform:organizations:network-policy-changed");
        private readonly Channel<string> received = System.Threading.Channels.Channel.CreateUnbounded<string>();
        private ChannelMessageQueue queue = null!;

        private KeysServiceFixture fixture = null!;

        /// <summary>The organization whose change <see cref="ExpectNoneAsync"/> made last, as the marker.</summary>
        public string? LastMarker { get; private set; }

        public static async Task<Announcements> StartAsync(KeysServiceFixture fixture)
        {
            var announcements = new Announcements { fixture = fixture };
            announcements.queue = await fixture.Redis.GetSubscriber().SubscribeAsync(Channel);
            announcements.queue.OnMessage(message => announcements.received.Writer.TryWrite(message.Message!));
            return announcements;
        }

        public async Task ExpectAsync(string organization, TimeSpan within)
        {
            using var timeout = new CancellationTokenSource(within);
            try
            {
                while (await received.Reader.ReadAsync(timeout.Token) != organization)
                {
                }
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"No announcement of {organization} within {within}.");
            }
        }

        /// <summary>
        /// Makes a change of its own (a marker organization) after the requests under test and reads the channel up
        /// to its announcement: the service announces in commit order on one connection, so an announcement of
        /// <paramref name="organization"/> would have come before it (issue 13: no sleeping).
        /// </summary>
        public async Task ExpectNoneAsync(string organization)
        {
            LastMarker = "org_marker" + Guid.NewGuid().ToString("N")[..20];
            using (var client = fixture.Client())
            using (var response = await client.PutAsync(Path(LastMarker), Json(new { allowedCidrs = new[] { "192.0.2.0/24" } })))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            string message;
            while ((message = await received.Reader.ReadAsync(timeout.Token)) != LastMarker) Assert.NotEqual(organization, message);
        }

        public void Dispose() => queue.Unsubscribe();
    }
}
