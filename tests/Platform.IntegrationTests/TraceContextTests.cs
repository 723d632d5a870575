using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// SPEC GW-ID: W3C trace context goes upstream through the gateway, over HTTPS as a client sends it, whether or not
/// an OpenTelemetry exporter is configured (the platform tests run without one).
/// </summary>
[Collection(Collections.Platform)]
public sealed class TraceContextTests(PlatformFixture fixture)
{
    private const string TraceParent = "^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$";
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task A_clients_trace_continues_upstream_under_the_gateways_own_span()
    {
        var traceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        const string clientSpan = "00f067aa0ba902b7";
        using var client = await KeyedClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_traced");
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{clientSpan}-01");
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=opaque");

        var (requestId, upstream) = await SendAsync(client, request);

        Assert.Matches(TraceParent, upstream["traceparent"]);
        var parts = upstream["traceparent"].Split('-');
        Assert.Equal(traceId, parts[1]);
        Assert.NotEqual(clientSpan, parts[2]);
        Assert.Equal("vendor=opaque", upstream["tracestate"]);
        // The request id is the other half of GW-ID: the one the client got is the one the upstream saw.
        Assert.Equal(requestId, upstream["x-request-id"]);
    }

    [Fact]
    public async Task A_request_without_trace_context_starts_a_trace_of_its_own_per_request()
    {
        using var client = await KeyedClientAsync();
        var traces = new HashSet<string>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_untraced");
            var (_, upstream) = await SendAsync(client, request);
            Assert.Matches(TraceParent, upstream["traceparent"]);
            traces.Add(upstream["traceparent"].Split('-')[1]);
        }

        Assert.Equal(2, traces.Count);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")]
    public async Task A_malformed_traceparent_is_not_passed_on_and_refuses_nothing(string offered)
    {
        using var client = await KeyedClientAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_odd");
        request.Headers.TryAddWithoutValidation("traceparent", offered);

        var (_, upstream) = await SendAsync(client, request);

        Assert.Matches(TraceParent, upstream["traceparent"]);
        Assert.DoesNotContain(offered.Split('-') is [_, var trace, ..] ? trace : offered, upstream["traceparent"], StringComparison.Ordinal);
    }

    private async Task<HttpClient> KeyedClientAsync()
    {
        // The test process starts no activity of its own, so what reaches the gateway is what each test sets.
        var handler = fixture.App.CreateHandler("gateway");
        handler.ActivityHeadersPropagator = null;
        var client = fixture.App.CreateHttpClient("gateway", handler: handler);
        var key = (await fixture.App.CreateApiKeyAsync(organization, "read_only")).GetProperty("key").GetString()!;
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        return client;
    }

    /// <returns>The request id the client got, and the headers the upstream received.</returns>
    private static async Task<(string RequestId, Dictionary<string, string> Upstream)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.Headers.GetValues("X-Request-Id").Single(), echoed.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()!));
    }
}
