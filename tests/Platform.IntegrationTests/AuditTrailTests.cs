using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>SPEC GW-ID, GW-AUDIT, AUD-INGEST, AUD-QUERY through the gateway over HTTPS, as a client sees them.</summary>
[Collection(Collections.ResidencyAndAudit)]
public sealed class AuditTrailTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task Every_response_carries_a_request_id_and_a_client_cannot_choose_it()
    {
        using var client = app.CreateHttpClient("gateway");
        using var plain = await client.GetAsync("/.well-known/security.txt");
        Assert.Matches("^req_[0-9a-f]{32}$", plain.Headers.GetValues("X-Request-Id").Single());

        // A client is not a trusted hop: even a well-formed id of its own is replaced, and so is an odd one.
        foreach (var offered in new[] { "my-own-id-123", "evil<script>\"", new string('a', 500) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/security.txt");
            request.Headers.TryAddWithoutValidation("X-Request-Id", offered);
            using var response = await client.SendAsync(request);
            var id = response.Headers.GetValues("X-Request-Id").Single();
            Assert.NotEqual(offered, id);
            Assert.Matches("^req_[0-9a-f]{32}$", id);
        }
    }

    [Fact]
    public async Task Reading_the_audit_log_needs_a_reader_credential()
    {
        using var client = app.CreateHttpClient("gateway");
        using var anonymous = await client.GetAsync("/v1/audit/events");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token-but-long-enough-to-look-real");
        using var wrong = await client.GetAsync("/v1/audit/events");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=abc")]
    [InlineData("from=yesterday")]
    [InlineData("ip=999.1.1.1")]
    [InlineData("cursor=%%%")]
    [InlineData("colour=blue")]
    public async Task Malformed_audit_queries_get_a_400_problem(string query)
    {
        using var client = app.AuditReader();
        using var response = await client.GetAsync($"/v1/audit/events?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://platform.dev/problems/invalid-query", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_thousand_requests_give_exactly_a_thousand_audit_entries_with_their_request_ids()
    {
        var marker = $"/audit-e2e-{Guid.NewGuid():n}";
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var ids = await app.SendAsync(marker, 1000);

        await app.AssertAuditedExactlyOnceAsync(marker, since, ids);
    }
}
