using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults.Health;

/// <summary>
/// Runs one round trip to a dependency under a timeout and turns the outcome into a health result. The round
/// trip returns null when the dependency is usable, or else why it is not, in words written here in
/// ServiceDefaults (never an exception message).
/// </summary>
/// <remarks>
/// A failure names the exception type only. Exception messages and objects stay out of the result because
/// health output and the health-check log line are read by people who must not see connection details.
/// </remarks>
internal static class DependencyProbe
{
    public static async Task<HealthCheckResult> RunAsync(
        HealthCheckContext context,
        string dependency,
        TimeSpan timeout,
        Func<CancellationToken, Task<string?>> roundTrip,
        CancellationToken cancellationToken)
    {
        // The real clock, not the TimeProvider from DI: this bounds a wait on a socket, which runs in real time
        // whatever clock the app's logic uses. With a FakeTimeProvider registered (a test driving domain time), a
        // timeout on it would never elapse and a hung dependency would hang /health.
        using var timeoutSource = new CancellationTokenSource(timeout, TimeProvider.System);
        using var linkedSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);

        try
        {
            // WaitAsync as well as the token: a driver may not watch the token in every phase (Npgsql waiting for
            // the server's first reply keeps to its own connection Timeout), and the probe must answer on time anyway.
            return await roundTrip(linkedSource.Token).WaitAsync(linkedSource.Token) is { } problem
                ? new HealthCheckResult(context.Registration.FailureStatus, problem)
                : HealthCheckResult.Healthy();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                string.Create(CultureInfo.InvariantCulture, $"{dependency} did not answer within {timeout.TotalSeconds:0.###} s."));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return new HealthCheckResult(
                context.Registration.FailureStatus,
                $"{dependency} check failed ({exception.GetType().Name}).");
        }
    }
}
