using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Servers;

/// <summary>Options of the local server processes (tests set them; the AppHost's defaults suit development).</summary>
public sealed class LocalServerOptions
{
    public const string Section = "Platform:LocalServers";

    /// <summary>Throwaway servers (tests, benchmarks): PostgreSQL runs without fsync.</summary>
    public bool Ephemeral { get; set; }
}

/// <summary>A PostgreSQL server of either kind, to add databases to.</summary>
public sealed class PostgresServer(IResourceBuilder<IResourceWithConnectionString> server, Func<string, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
{
    public IResourceBuilder<IResourceWithConnectionString> Server { get; } = server;

    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => addDatabase(name);
}

/// <summary>
/// PostgreSQL, Redis and RabbitMQ for the app model: Aspire's official containers where a container runtime answers
/// (and always in publish mode, so the manifest holds the official images), else local processes from Debian's
/// packages (<see cref="ServerMode"/>). Either way the connection strings have Aspire's formats.
/// </summary>
public static class ServerExtensions
{
    public static PostgresServer AddPostgresServer(this IDistributedApplicationBuilder builder, string name)
    {
        if (builder.UseContainers())
        {
            var container = builder.AddPostgres(name);
            return new(container, database => container.AddDatabase(database));
        }

        var local = builder.AddLocalPostgres(name, builder.LocalServers());
        return new(local, database => local.AddDatabase(database));
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(this IDistributedApplicationBuilder builder, string name) =>
        builder.UseContainers() ? builder.AddRedis(name) : builder.AddLocalRedis(name, builder.LocalServers());

    public static IResourceBuilder<IResourceWithConnectionString> AddRabbitMQServer(this IDistributedApplicationBuilder builder, string name) =>
        builder.UseContainers() ? builder.AddRabbitMQ(name) : builder.AddLocalRabbitMQ(name, builder.LocalServers());

    private static bool UseContainers(this IDistributedApplicationBuilder builder) => ServerModes.Resolve(builder) == ServerMode.Containers;

    /// <summary>The state folder; the first call also arranges for the programs to be found or installed before the app starts.</summary>
    private static StateFolder LocalServers(this IDistributedApplicationBuilder builder)
    {
        if (!builder.Services.Any(s => s.ServiceType == typeof(LocalServerOptions)))
        {
            var options = new LocalServerOptions();
            options.Ephemeral = builder.Configuration.GetValue<bool>($"{LocalServerOptions.Section}:Ephemeral");
            builder.Services.AddSingleton(options);
            builder.Eventing.Subscribe<BeforeStartEvent>(InstallAsync);
        }

        return StateFolder.For(builder);
    }

    /// <summary>
    /// Finds each local server's program, installing the missing packages with apt-get in one go (one install at a
    /// time across processes), and points the executable at it. Only the servers in the model (a test keeps a few) count.
    /// </summary>
    private static async Task InstallAsync(BeforeStartEvent @event, CancellationToken cancellationToken)
    {
        var servers = @event.Model.Resources.OfType<LocalServerResource>().ToList();
        var logger = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Platform.AppHost.Servers");
        var installer = new PackageInstaller(new InstallerOutput(line => logger.LogInformation("{Status}", line), line => logger.LogInformation("[apt-get] {Line}", line)));
        await installer.EnsureAsync(servers.SelectMany(s => s.Packages.Select(p => (s.Name, p))), cancellationToken);
        foreach (var server in servers)
        {
            server.Annotations.OfType<ExecutableAnnotation>().Last().Command = server.ResolveCommand();
        }
    }
}
