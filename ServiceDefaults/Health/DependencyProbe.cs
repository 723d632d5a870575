using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults.Health;

/// <summary>
/// Runs one round trip to a dependency under a timeout and turns the outcome into a health result.
/// The round trip returns false when the dependency answered but is not usable yet.
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
        TimeProvider timeProvider,
        Func<CancellationToken, Task<bool>> roundTrip,
        CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider);
        using var linkedSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);

        try
        {
            return await roundTrip(linkedSource.Token)
                ? HealthCheckResult.Healthy()
                : new HealthCheckResult(context.Registration.FailureStatus, $"{dependency} is not ready.");
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
