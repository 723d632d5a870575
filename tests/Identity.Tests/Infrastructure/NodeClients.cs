using Platform.Hosting.Testing;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>The independent clients in <c>tests/Identity.Tests/node</c> (openid-client, oidc-provider, samlify, Playwright).</summary>
public static class NodeClients
{
    private static readonly NodeFolder folder = NodeFolder.InRepository("tests/Identity.Tests/node");

    public static string Folder => folder.Path;

    public static Task InstallAsync() => folder.InstallAsync();

    public static Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null) => folder.RunAsync(program, arguments, timeout, environment);
}
