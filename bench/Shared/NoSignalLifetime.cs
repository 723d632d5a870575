using Microsoft.Extensions.Hosting;

namespace Platform.Bench;

/// <summary>
/// The lifetime of the benches' in-process hosts (an upstream, bare YARP, test services): they leave Ctrl+C and
/// SIGTERM alone. The default console lifetime takes both signals over to stop its own host, and the bench itself
/// then never stops. Without it the signal ends the process, and the AppHost's watchdog stops everything the bench
/// started. Linked into each bench project that hosts something in-process.
/// </summary>
internal sealed class NoSignalLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
