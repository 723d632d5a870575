using Microsoft.Extensions.Hosting;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// The lifetime of the bench's in-process web hosts (the upstream, bare YARP): they leave Ctrl+C and SIGTERM alone.
/// The default console lifetime takes both signals over to stop its own host, and the bench itself then never stops.
/// Without it the signal ends the process; the AppHost's watchdog then stops everything the bench started.
/// </summary>
internal sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
