using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Platform.Hosting.Testing;

namespace Platform.Bench;

/// <summary>
/// The process of a running resource, from its snapshot's <c>executable.pid</c>. Aspire runs a project under
/// <c>dotnet run --no-build</c>, so for a project that pid is the wrapper's and the service is its child.
/// </summary>
internal static class ResourceProcess
{
    /// <summary>
    /// The service's own process. Replicas are numbered as the harness numbers them for
    /// <see cref="TestingApplication.GetEndpoint"/> (running replicas in the order of their resource ids).
    /// </summary>
    public static async Task<int> ProcessIdAsync(TestingApplication app, string resource, int replica = 0)
    {
        var replicas = await RunningReplicasAsync(app, resource);
        if (replica >= replicas.Count) throw new ArgumentOutOfRangeException(nameof(replica), $"{resource} has {replicas.Count} replicas running.");
        var property = replicas[replica].Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")
            ?? throw new InvalidOperationException($"{resource}'s snapshot has no executable.pid: it is not an executable or project.");
        var pid = Convert.ToInt32(property.Value, CultureInfo.InvariantCulture);
        return ProcessTree.CommandLine(pid).Contains(" run ", StringComparison.Ordinal) ? await OnlyChildAsync(pid, resource) : pid;
    }

    private static async Task<List<ResourceEvent>> RunningReplicasAsync(TestingApplication app, string resource)
    {
        var latest = new Dictionary<string, ResourceEvent>();
        // The notification service replays each resource's latest snapshot to a new watcher, then waits for more.
        using var replayed = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var e in app.Application.ResourceNotifications.WatchAsync(replayed.Token))
            {
                if (e.Resource.Name == resource) latest[e.ResourceId] = e;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return [.. latest.Values.Where(e => e.Snapshot.State?.Text == KnownResourceStates.Running).OrderBy(e => e.ResourceId, StringComparer.Ordinal)];
    }

    private static async Task<int> OnlyChildAsync(int wrapper, string resource)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            switch (ProcessTree.Children(wrapper))
            {
                case [var child]:
                    return child;
                case []:
                    await Task.Delay(100);
                    break;
                case var several:
                    throw new InvalidOperationException($"{resource}'s dotnet run ({wrapper}) has {several.Count} children: {string.Join(", ", several)}.");
            }
        }

        throw new TimeoutException($"{resource}'s dotnet run ({wrapper}) started no program within 30 s.");
    }
}
