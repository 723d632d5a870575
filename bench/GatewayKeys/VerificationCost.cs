using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayKeys;

/// <summary>CPU per verification on the hot path (cache hit), measured on the gateway's own verifier in this process.</summary>
internal static class VerificationCost
{
    public static async Task<double> MeasureMicrosecondsAsync(TestingApplication app, string key, int iterations = 200_000)
    {
        var options = Options.Create(new ApiKeyOptions
        {
            Url = app.GetEndpoint("keys", "http"),
            ServiceToken = app.GetParameterValue("keys-gateway-token"),
            CacheDuration = TimeSpan.FromMinutes(10),
        });
        using var http = new HttpClient();
        var verifier = new ApiKeyVerifier(http, options, TimeProvider.System, NullLogger<ApiKeyVerifier>.Instance);
        if (!(await verifier.VerifyAsync(key, CancellationToken.None)).Valid) throw new InvalidOperationException("The bench key did not verify.");

        for (var i = 0; i < 10_000; i++) await verifier.VerifyAsync(key, CancellationToken.None);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++) await verifier.VerifyAsync(key, CancellationToken.None);
        var wall = stopwatch.Elapsed;
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        // The process's CPU includes other threads; the wall time of this single-threaded loop bounds it from below.
        return Math.Min(used.TotalMicroseconds, wall.TotalMicroseconds) / iterations;
    }
}
