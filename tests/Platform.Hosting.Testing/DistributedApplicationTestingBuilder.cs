using System.Reflection;

namespace Platform.Hosting.Testing;

/// <summary>
/// Runs the AppHost's own Program.cs and hands its app model to a test, the shape of Aspire.Hosting.Testing:
/// a fresh state folder, free ports, throwaway (fsync-free) databases, and everything torn down afterwards —
/// by <see cref="TestingApplication.DisposeAsync"/>, or by the AppHost's watchdog if the test run is killed.
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static async Task<TestingApplication> CreateAsync(Action<AppHostOptions>? configure = null)
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"platform-test-{Guid.NewGuid():n}"[..26]);
        var log = new TestLog(stateDirectory);
        DistributedApplicationBuilder? captured = null;
        var hooks = new DistributedApplicationHooks.Hooks(
            Creating: options =>
            {
                options.StateDirectory = stateDirectory;
                options.RandomizePorts = true;
                options.Ephemeral = true;
                options.DeleteStateOnExit = true;
                options.ResourceOutput = log.Write;
                configure?.Invoke(options);
            },
            Building: builder => captured = builder);

        var entryPoint = typeof(DistributedApplication).Assembly.EntryPoint
            ?? throw new InvalidOperationException("The AppHost assembly has no entry point.");
        await Task.Run(() =>
        {
            DistributedApplicationHooks.Current = hooks;
            try
            {
                entryPoint.Invoke(null, entryPoint.GetParameters().Length == 0 ? [] : [Array.Empty<string>()]);
            }
            catch (TargetInvocationException e) when (e.InnerException is DistributedApplicationHooks.EntryPointCapturedException)
            {
                // Expected: the model is built; the AppHost's Run() is the harness's to call.
            }
        });

        if (captured is null) throw new InvalidOperationException("The AppHost's Program.cs never called Build().");
        return new TestingApplication(captured.BuildCore(), stateDirectory, log);
    }
}
