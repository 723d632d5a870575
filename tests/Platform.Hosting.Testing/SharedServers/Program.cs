namespace Platform.Hosting.Testing.SharedServers;

/// <summary>The shared server host's entry (<see cref="SharedServerHost"/>): started by the first test process that needs servers.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args) =>
        args is [SharedServerHost.Command, var folder] ? await SharedServerHost.RunAsync(folder) : 2;
}
