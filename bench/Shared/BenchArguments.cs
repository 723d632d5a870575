namespace Platform.Bench;

/// <summary>
/// The AppHost's arguments for a bench run by the test harness. The harness hosts the AppHost in the bench's own
/// process, whose console would otherwise carry every resource's output and each failed health check of the start
/// (with its stack trace) among the figures; the harness keeps every resource's output in its log file regardless.
/// </summary>
internal static class BenchArguments
{
    public static readonly string[] Quiet =
    [
        "--Logging:LogLevel:Default=Warning",
        "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None",
        // Resource output (a server's stderr arrives as errors): in the harness's log file only.
        "--Logging:LogLevel:Platform.AppHost.Resources=None",
    ];
}
