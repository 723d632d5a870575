using System.Text.Json.Nodes;

namespace Platform.AppHost.Tests;

/// <summary>aspire-manifest.json is what Aspire's own manifest publisher writes for the app model, from the repository root.</summary>
public sealed class ManifestTests : IClassFixture<ManifestTests.Published>
{
    private const string Regenerate = "dotnet run --project AppHost -- --publisher manifest --output-path \"$PWD/aspire-manifest.json\" (from the repository root)";
    private static readonly string committedPath = Path.Combine(AppHostProcess.RepositoryRoot, "aspire-manifest.json");
    private readonly Published published;

    public ManifestTests(Published published) => this.published = published;

    [Fact]
    public void The_committed_manifest_is_what_the_publisher_writes_now()
    {
        Assert.True(File.Exists(committedPath), $"aspire-manifest.json is missing: run '{Regenerate}' and commit it.");
        Assert.True(
            published.Text == File.ReadAllText(committedPath),
            $"aspire-manifest.json drifted from the app model: run '{Regenerate}' and commit it.");
    }

    [Fact]
    public void Servers_are_official_images_databases_values_services_projects_and_secrets_generated_inputs()
    {
        var resources = JsonNode.Parse(published.Text)!["resources"]!.AsObject();

        Assert.Equal("container.v0", (string?)resources["postgres"]!["type"]);
        Assert.StartsWith("docker.io/library/postgres:", (string?)resources["postgres"]!["image"]);
        Assert.Equal("Host={postgres.bindings.tcp.host};Port={postgres.bindings.tcp.port};Username=postgres;Password={postgres-password.value}", (string?)resources["postgres"]!["connectionString"]);
        Assert.Equal("container.v0", (string?)resources["redis"]!["type"]);
        Assert.StartsWith("docker.io/library/redis:", (string?)resources["redis"]!["image"]);
        Assert.Equal("container.v0", (string?)resources["messaging"]!["type"]);
        Assert.StartsWith("docker.io/library/rabbitmq:", (string?)resources["messaging"]!["image"]);
        Assert.Equal("amqp://guest:{messaging-password-uri-encoded.value}@{messaging.bindings.tcp.host}:{messaging.bindings.tcp.port}", (string?)resources["messaging"]!["connectionString"]);

        foreach (var database in new[] { "identitydb", "keysdb", "storageusdb", "storageeudb", "storageapacdb", "retentiondb", "auditdb", "residencydb" })
        {
            Assert.Equal("value.v0", (string?)resources[database]!["type"]);
            Assert.Equal($"{{postgres.connectionString}};Database={database}", (string?)resources[database]!["connectionString"]);
        }

        foreach (var (project, path) in new[] { ("gateway", "gateway/Gateway.csproj"), ("keys", "services/keys/Keys.csproj"), ("identity", "services/identity/Identity.csproj"), ("storage-us", "services/storage/Storage.csproj"), ("storage-eu", "services/storage/Storage.csproj"), ("storage-apac", "services/storage/Storage.csproj"), ("audit", "services/audit/Audit.csproj"), ("retention", "services/retention/Retention.csproj"), ("residency", "services/residency/Residency.csproj") })
        {
            Assert.Equal("project.v0", (string?)resources[project]!["type"]);
            Assert.Equal(path, (string?)resources[project]!["path"]);
        }

        // One storage deployment per region (SPEC RES-REGION), each with its own database and root key, and the gateway
        // routing to each; the default region's serves transit as "storage".
        Assert.Equal(3, resources.Count(r => (string?)r.Value!["path"] == "services/storage/Storage.csproj"));
        foreach (var region in new[] { "us", "eu", "apac" })
        {
            var env = resources[$"storage-{region}"]!["env"]!;
            Assert.Equal(region, (string?)env["Storage__Region"]);
            Assert.Equal($"{{storage{region}db.connectionString}}", (string?)env["ConnectionStrings__storagedb"]);
            Assert.Equal($"{{storage-{region}-root-key.value}}", (string?)env["Storage__RootKey__Key"]);
            Assert.Equal($"{{storage-{region}.bindings.http.url}}", (string?)resources["gateway"]!["env"]![$"ReverseProxy__Clusters__storage__Destinations__{region}__Address"]);
        }

        Assert.Equal("{storage-us.bindings.http.url}", (string?)resources["keys"]!["env"]!["services__storage__http__0"]);

        var gateway = resources["gateway"]!;
        Assert.Equal(8443, (int?)gateway["bindings"]!["https"]!["targetPort"]);
        Assert.True((bool?)gateway["bindings"]!["https"]!["external"]);
        Assert.Equal("{redis.connectionString}", (string?)gateway["env"]!["ConnectionStrings__redis"]);
        // Local-only settings (the development certificate, the state folder) never reach a deployment.
        Assert.Null(gateway["env"]!["Gateway__DevelopmentCertificatePath"]);

        var secrets = resources.Where(r => (string?)r.Value!["type"] == "parameter.v0").ToList();
        Assert.Contains(secrets, s => s.Key == "keys-pepper");
        foreach (var (name, secret) in secrets)
        {
            Assert.Equal($"{{{name}.inputs.value}}", (string?)secret!["value"]);
            Assert.True((bool?)secret["inputs"]!["value"]!["secret"], $"{name} is not secret");
            Assert.True((int?)secret["inputs"]!["value"]!["default"]!["generate"]!["minLength"] >= 22, $"{name} is not generated");
        }
    }

    [Fact]
    public void No_secret_value_is_written()
    {
        // The run above was given known values for every parameter: none may appear, only references to the inputs.
        foreach (var (name, value) in published.Parameters)
        {
            Assert.False(published.Text.Contains(value, StringComparison.Ordinal), $"{name}'s value is in the manifest");
        }

        Assert.DoesNotContain("Password=", published.Text.Replace("Password={", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>The publisher run once for the class: from the repository root, into a temporary file there.</summary>
    public sealed class Published : IAsyncLifetime
    {
        public string Text { get; private set; } = "";

        public Dictionary<string, string> Parameters { get; } = new[] { "postgres-password", "redis-password", "messaging-password", "keys-pepper", "gateway-signing-key", "identity-data-key" }
            .ToDictionary(p => p, _ => $"secret{Guid.NewGuid():n}");

        public async Task InitializeAsync()
        {
            // Beside the committed file: Aspire writes project paths relative to the manifest's own folder.
            var path = Path.Combine(AppHostProcess.RepositoryRoot, $".aspire-manifest.{Guid.NewGuid():n}.json");
            try
            {
                string[] args = ["--publisher", "manifest", "--output-path", path, .. Parameters.Select(p => $"--Parameters:{p.Key}={p.Value}")];
                var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(2), args, workingDirectory: AppHostProcess.RepositoryRoot);
                Assert.True(code == 0, output);
                Text = await File.ReadAllTextAsync(path);
            }
            finally
            {
                File.Delete(path);
            }
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }
}
