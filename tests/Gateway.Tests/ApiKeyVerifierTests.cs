using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Gateway.ApiKeys;

namespace Platform.Gateway.Tests;

/// <summary>The verifier's cache, as pure logic: the keys service's answers come from a canned handler.</summary>
public sealed class ApiKeyVerifierTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
    private int lookups;

    [Fact]
    public async Task A_flood_of_distinct_made_up_keys_cannot_grow_the_cache_past_its_bound()
    {
        var verifier = Verifier(maxCachedAnswers: 100);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.False((await verifier.VerifyAsync(MadeUpKey(i), CancellationToken.None)).Valid);
        }

        Assert.True(verifier.CachedAnswers <= 100, $"{verifier.CachedAnswers} answers cached");
    }

    [Fact]
    public async Task A_refusal_is_remembered_briefly_and_then_asked_again()
    {
        var verifier = Verifier(maxCachedAnswers: 100);
        await verifier.VerifyAsync(MadeUpKey(1), CancellationToken.None);
        await verifier.VerifyAsync(MadeUpKey(1), CancellationToken.None);
        Assert.Equal(1, lookups);

        time.Advance(TimeSpan.FromSeconds(6));
        await verifier.VerifyAsync(MadeUpKey(1), CancellationToken.None);
        Assert.Equal(2, lookups);
    }

    [Fact]
    public async Task A_malformed_key_is_refused_without_asking()
    {
        var verifier = Verifier(maxCachedAnswers: 100);
        Assert.False((await verifier.VerifyAsync("sk_live_short", CancellationToken.None)).Valid);
        Assert.Equal(0, lookups);
    }

    private ApiKeyVerifier Verifier(int maxCachedAnswers)
    {
        var handler = new CannedHandler(() => Interlocked.Increment(ref lookups));
        var options = Options.Create(new ApiKeyOptions
        {
            Url = new Uri("http://keys.invalid"),
            ServiceToken = new string('t', 40),
            MaxCachedAnswers = maxCachedAnswers,
        });
        return new ApiKeyVerifier(new HttpClient(handler), options, time, NullLogger<ApiKeyVerifier>.Instance);
    }

    private static string MadeUpKey(int n) => "sk_live_" + n.ToString("D38", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class CannedHandler(Action counted) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counted();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"valid":false,"reason":"unknown"}""", Encoding.UTF8, "application/json"),
            });
        }
    }
}
