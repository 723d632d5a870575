using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary><c>tests/Platform.IntegrationTests/SecurityConsole/node</c>: Playwright driving Debian's Chromium, with axe-core.</summary>
internal static class NodeBrowser
{
    private static readonly NodeFolder folder = NodeFolder.InRepository("tests/Platform.IntegrationTests/SecurityConsole/node");

    public static string Folder => folder.Path;

    public static Task InstallAsync() => folder.InstallAsync();

    public static Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null) => folder.RunAsync(program, arguments, timeout, environment);
}
