using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.AppHost.Tests;

/// <summary>
/// One AppHost started as a user starts it (dashboard on), observed through the dashboard in Debian's Chromium and
/// then stopped with SIGTERM: one start serves both.
/// </summary>
[Collection(AppHostRuns.Name)]
[TestCaseOrderer(StepOrderer.TypeName, StepOrderer.AssemblyName)]
public sealed class DashboardTests(DashboardTests.Platform platform) : IClassFixture<DashboardTests.Platform>
{
    private static readonly string[] topLevelResources = ["postgres", "redis", "messaging", "audit", "identity", "storage-us", "storage-eu", "keys", "retention", "residency", "console", "gateway"];
    private static readonly string[] expected =
    [
        "signed-in-with-the-printed-url", "every-resource-running-and-healthy", "gateway-console-log-visible", "trace-found-by-request-id",
        "trace-goes-through-gateway-to-keys", "no-secret-value-on-any-page",
    ];

    [Fact]
    [Step(1)]
    public async Task The_dashboard_shows_every_resource_healthy_the_gateway_console_and_a_request_traced_to_keys_by_its_id_and_no_secret()
    {
        var run = await platform.RunAsync();
        Assert.Contains("Platform is ready in", run.Output);
        Assert.Contains($"Gateway: https://localhost:{run.GatewayPort}", run.Output);

        // A request with an API key: the gateway asks keys to verify it (an unknown key, so 401), under one trace.
        using var client = run.GatewayClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/organizations/org_dashboard/keys/");
        request.Headers.Add("X-Api-Key", "sk_test_" + RandomNumberGenerator.GetString("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 38));
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var requestId = response.Headers.GetValues("X-Request-Id").Single();

        await NodeScripts.InstallAsync();
        var (exitCode, output) = await NodeScripts.RunAsync("dashboard.mjs", TimeSpan.FromMinutes(4), new Dictionary<string, string>
        {
            ["DASHBOARD_LOGIN_URL"] = run.LoginUrl.ToString(),
            ["REQUEST_ID"] = requestId,
            ["RESOURCES"] = string.Join(',', topLevelResources),
            ["SECRETS"] = JsonSerializer.Serialize(run.Parameters.Values),
        });

        var results = output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["RESULT ".Length..]).RootElement)
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r);
        foreach (var name in expected)
        {
            Assert.True(results.TryGetValue(name, out var check), $"Check '{name}' did not run.\n{output}");
            Assert.True(check.GetProperty("ok").GetBoolean(), $"Check '{name}' failed: {check}\n{output}");
        }

        Assert.Equal(0, exitCode);
    }

    [Fact]
    [Step(2)]
    public async Task SIGTERM_stops_the_AppHost_and_every_process_it_started()
    {
        var run = await platform.RunAsync();
        var processes = run.Processes();
        Assert.Contains(processes, pid => ProcessTable.CommandLine(pid).Contains("postgres", StringComparison.Ordinal));

        run.Signal("TERM");

        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Empty(await run.WaitUntilNothingRunsAsync(processes, TimeSpan.FromSeconds(20)));
    }

    /// <summary>The AppHost process, started by the first test that needs it.</summary>
    public sealed class Platform : IAsyncDisposable
    {
        private readonly Lazy<Task<RunningAppHost>> run = new(() => RunningAppHost.StartAsync());

        internal Task<RunningAppHost> RunAsync() => run.Value;

        public async ValueTask DisposeAsync()
        {
            if (run.IsValueCreated && run.Value.IsCompletedSuccessfully) await run.Value.Result.DisposeAsync();
        }
    }
}
