using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Supervision;

/// <summary>"Platform is ready in N s" once every resource is healthy, with the gateway's address.</summary>
internal sealed class ReadyBanner(DistributedApplicationModel model, ResourceNotificationService notifications, TimeProvider clock, ILogger<ReadyBanner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resources = model.Resources.Where(r => r is not ParameterResource && !r.Name.EndsWith("-rebuilder", StringComparison.Ordinal)).ToList();
        var ready = Task.WhenAll(resources.Select(r => notifications.WaitForResourceHealthyAsync(r.Name, stoppingToken)));
        try
        {
            // A slow start says what it is waiting for.
            while (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(15), stoppingToken)) != ready)
            {
                var waiting = resources
                    .Select(r => notifications.TryGetCurrentState(r.Name, out var e) ? (r.Name, e.Snapshot.State?.Text, e.Snapshot.HealthStatus) : (r.Name, "unknown", null))
                    .Where(r => r.Item2 != KnownResourceStates.Running || r.HealthStatus != Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
                    .Select(r => $"{r.Name} ({r.Item2 ?? "no state"}{(r.HealthStatus is { } health ? $", {health}" : "")})");
                logger.LogInformation("Still waiting for: {Resources}", string.Join(", ", waiting));
            }

            await ready;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Since the AppHost process started: what a person waiting at the terminal sees.
        var elapsed = clock.GetUtcNow() - Process.GetCurrentProcess().StartTime.ToUniversalTime();
        var gateway = model.Resources.OfType<ProjectResource>().FirstOrDefault(p => p.Name == "gateway")?.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == "https");
        logger.LogInformation("Platform is ready in {Seconds:0.0} s. Gateway: {Gateway}", elapsed.TotalSeconds, gateway?.AllocatedEndpoint is { } endpoint ? $"https://localhost:{endpoint.Port}" : "(not in this model)");
    }
}
