using Platform.Hosting.Testing;

namespace Platform.AppHost.Tests;

/// <summary>The Playwright scripts in <c>tests/AppHost.Tests/node</c> (Debian's Chromium, never a browser download).</summary>
internal static class NodeScripts
{
    private static readonly NodeFolder folder = NodeFolder.InRepository("tests/AppHost.Tests/node");

    public static Task InstallAsync() => folder.InstallAsync();

    public static Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan timeout, IReadOnlyDictionary<string, string> environment) =>
        folder.RunAsync("node", [script], timeout, environment);
}
