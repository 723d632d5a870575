using System.Text.Json.Nodes;

namespace Platform.AppHost.Tests;

public sealed class ManifestTests
{
    private static readonly string CommittedManifest = Path.Combine(AppHostProcess.RepositoryRoot, "aspire-manifest.json");

    [Fact]
    public async Task Committed_manifest_is_what_the_publisher_writes_now()
    {
        // Written beside the committed one so that relative project paths come out the same.
        var fresh = Path.Combine(AppHostProcess.RepositoryRoot, $"aspire-manifest.{Guid.NewGuid():n}.json");
        try
        {
            var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(1), "--publisher", "manifest", "--output-path", fresh);
            Assert.True(code == 0, output);
            Assert.True(File.Exists(CommittedManifest), "aspire-manifest.json is missing: run 'dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json'.");
            Assert.True(
                await File.ReadAllTextAsync(fresh) == await File.ReadAllTextAsync(CommittedManifest),
                "aspire-manifest.json drifted from the app model: run 'dotnet run --project AppHost -- --publisher manifest --output-path ../aspire-manifest.json' and commit it.");
        }
        finally
        {
            File.Delete(fresh);
        }
    }

    [Fact]
    public async Task Manifest_describes_servers_as_official_containers_with_secret_generated_passwords()
    {
        var resources = JsonNode.Parse(await File.ReadAllTextAsync(CommittedManifest))!["resources"]!.AsObject();

        Assert.Equal("container.v0", (string?)resources["postgres"]!["type"]);
        Assert.StartsWith("docker.io/library/postgres:", (string?)resources["postgres"]!["image"]);
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}", (string?)resources["postgres"]!["connectionString"]);
        Assert.Equal(5432, (int?)resources["postgres"]!["bindings"]!["tcp"]!["targetPort"]);
        Assert.Equal("{redis.bindings.tcp.host}:{redis.bindings.tcp.port},password={redis-password.value}", (string?)resources["redis"]!["connectionString"]);
        Assert.StartsWith("docker.io/library/redis:", (string?)resources["redis"]!["image"]);
        Assert.Equal("amqp://guest:{messaging-password.value}@{messaging.bindings.tcp.host}:{messaging.bindings.tcp.port}", (string?)resources["messaging"]!["connectionString"]);
        Assert.StartsWith("docker.io/library/rabbitmq:", (string?)resources["messaging"]!["image"]);

        foreach (var database in new[] { "identitydb", "keysdb", "storagedb", "retentiondb", "auditdb", "residencydb" })
        {
            Assert.Equal("value.v0", (string?)resources[database]!["type"]);
            Assert.Equal($"{{postgres.connectionString}};Database={database}", (string?)resources[database]!["connectionString"]);
        }

        foreach (var secret in new[] { "postgres-password", "redis-password", "messaging-password" })
        {
            Assert.Equal("parameter.v0", (string?)resources[secret]!["type"]);
            Assert.Equal($"{{{secret}.inputs.value}}", (string?)resources[secret]!["value"]);
            Assert.True((bool?)resources[secret]!["inputs"]!["value"]!["secret"]);
            Assert.True((int?)resources[secret]!["inputs"]!["value"]!["default"]!["generate"]!["minLength"] >= 22);
        }

        var gateway = resources["gateway"]!;
        Assert.Equal("project.v0", (string?)gateway["type"]);
        Assert.Equal("gateway/Gateway.csproj", (string?)gateway["path"]);
        Assert.True((bool?)gateway["bindings"]!["https"]!["external"]);
        Assert.Null(gateway["bindings"]!["internal"]!["external"]);
        Assert.Equal("{redis.connectionString}", (string?)gateway["env"]!["ConnectionStrings__redis"]);
        Assert.Equal("{messaging.connectionString}", (string?)gateway["env"]!["ConnectionStrings__messaging"]);
        Assert.Equal("{gateway.bindings.https.targetPort}", (string?)gateway["env"]!["Gateway__HttpsPort"]);
        // Local-only settings (development certificate, loopback) never reach a deployment.
        Assert.Null(gateway["env"]!["Gateway__DevelopmentCertificatePath"]);
        Assert.DoesNotContain("\"Password=", await File.ReadAllTextAsync(CommittedManifest));
    }
}
