namespace Platform.AppHost.Tests;

/// <summary>
/// Tests that start whole AppHosts (about 20 CPU-seconds each on two cores) take turns instead of fighting over the
/// CPU, which would only make every start slower; they all bind loopback ports of their own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class AppHostRuns
{
    public const string Name = "AppHost runs";
}
