using Microsoft.Extensions.Hosting;

namespace Platform.ServiceDefaults.Clients;

/// <summary>
/// Fails the start-up, before any service starts, when a registered client has no connection string, naming
/// every missing one at once rather than the first one some request happens to need.
/// </summary>
internal sealed class ConnectionStringCheck(IEnumerable<RequiredConnectionString> required, IServiceProvider provider)
    : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken)
    {
        var missing = required
            .Where(requirement => string.IsNullOrWhiteSpace(requirement.Resolve(provider)))
            .Select(requirement => requirement.ConnectionName)
            .Distinct(StringComparer.Ordinal)
            .ToList();

        return missing.Count == 0
            ? Task.CompletedTask
            : throw ClientSettings.MissingConnectionStrings(missing);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
