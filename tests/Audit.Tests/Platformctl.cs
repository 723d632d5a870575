using System.Text.Json;
using Platform.Ctl;

namespace Platform.Audit.Tests;

/// <summary>Runs platformctl in-process, as its users would on the command line; the platform is reached through <c>handler</c>.</summary>
internal static class Platformctl
{
    public static async Task<(int Exit, string Output, string Error)> RunAsync(HttpMessageHandler? handler, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await PlatformCli.RunAsync(args, output, error, handler);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary><c>audit bundle</c> with a token file, into a new temporary file; the bundle's path.</summary>
    public static async Task<string> BundleAsync(HttpMessageHandler handler, string token, string? organization = null)
    {
        var directory = Directory.CreateTempSubdirectory("platformctl-").FullName;
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, token);
        var bundle = Path.Combine(directory, "bundle.ndjson");
        string[] args = ["audit", "bundle", "--gateway", "http://localhost", "--token-file", tokenFile, "--output", bundle];
        if (organization is not null) args = [.. args, "--organization", organization];
        var (exit, output, error) = await RunAsync(handler, args);
        Assert.True(exit == 0, $"platformctl audit bundle exited {exit}: {output}{error}");
        return bundle;
    }

    /// <summary><c>audit verify --json</c>: the exit code and the report.</summary>
    public static async Task<(int Exit, JsonElement Report)> VerifyAsync(string bundle, params string[] keys)
    {
        var (exit, output, error) = await RunAsync(null, ["audit", "verify", bundle, .. keys.SelectMany(k => new[] { "--key", k }), "--json"]);
        Assert.True(output.Length > 0, $"platformctl audit verify printed nothing (exit {exit}): {error}");
        return (exit, JsonDocument.Parse(output).RootElement.Clone());
    }
}
