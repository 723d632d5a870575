using System.Text.Json.Nodes;
using Platform.Hosting.Testing;

namespace Platform.Identity.Tests.Scim;

/// <summary>
/// Runs <c>tests/Identity.Tests/Scim/node/oracle.mjs</c> (npm scimmy, scim2-parse-filter and scim-patch, installed
/// with <c>npm ci</c> from the lock file once) on a JSON document and returns its answer.
/// </summary>
public static class ScimOracle
{
    private static readonly NodeFolder folder = NodeFolder.InRepository("tests/Identity.Tests/Scim/node");

    public static async Task<JsonObject> RunAsync(JsonObject input)
    {
        await folder.InstallAsync(chromium: false);
        var file = Path.Combine(Path.GetTempPath(), $"scim-oracle-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(file, input.ToJsonString());
        try
        {
            var (exitCode, output) = await folder.RunAsync("node", ["oracle.mjs", file], TimeSpan.FromMinutes(1));
            Assert.True(exitCode == 0, output);
            return JsonNode.Parse(output)!.AsObject();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
