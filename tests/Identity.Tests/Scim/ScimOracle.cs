using System.Text.Json.Nodes;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Scim;

/// <summary>
/// Runs <c>tests/Identity.Tests/Scim/node/oracle.mjs</c> (npm scimmy, scim2-parse-filter and scim-patch, installed
/// with <c>npm ci</c> from the lock file once) on a JSON document and returns its answer.
/// </summary>
public static class ScimOracle
{
    private static readonly SemaphoreSlim installGate = new(1, 1);
    private static bool installed;

    public static string Folder { get; } = FindFolder();

    private static string FindFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "Identity.Tests", "Scim", "node");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }

        throw new InvalidOperationException("tests/Identity.Tests/Scim/node not found above " + AppContext.BaseDirectory);
    }

    public static async Task<JsonObject> RunAsync(JsonObject input)
    {
        await installGate.WaitAsync();
        try
        {
            var stamp = Path.Combine(Folder, "node_modules", ".package-lock.json");
            if (!installed && (!File.Exists(stamp) || File.GetLastWriteTimeUtc(stamp) < File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json"))))
            {
                await NodeClients.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefix", Folder], TimeSpan.FromMinutes(5));
            }

            installed = true;
        }
        finally
        {
            installGate.Release();
        }

        var file = Path.Combine(Path.GetTempPath(), $"scim-oracle-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(file, input.ToJsonString());
        try
        {
            var (exitCode, output) = await NodeClients.RunAsync("node", [Path.Combine(Folder, "oracle.mjs"), file], TimeSpan.FromMinutes(1));
            Assert.True(exitCode == 0, output);
            return JsonNode.Parse(output)!.AsObject();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
