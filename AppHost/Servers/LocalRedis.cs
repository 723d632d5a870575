using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Servers;

/// <summary>
/// redis-server from Debian's package as a local process: loopback only, the generated password in a 0600
/// configuration file, and no persistence (as Aspire's container by default): it holds only rate-limit buckets and
/// change notifications.
/// </summary>
public sealed class LocalRedisResource(string name, ParameterResource password, string directory)
    : LocalServerResource(name, directory), IResourceWithConnectionString
{
    internal const string EndpointName = "tcp";

    public ParameterResource PasswordParameter { get; } = password;

    public string Directory { get; } = directory;

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={PasswordParameter}");

    public override IReadOnlyList<RequiredPackage> Packages { get; } = [new("redis-server", "redis-server")];

    public override string ResolveCommand() => LocalPostgresServerResource.Program("redis-server");
}

public static class LocalRedisExtensions
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name, StateFolder state)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var redis = new LocalRedisResource(name, password, state.ResourceDirectory(name));
        var port = Ports.Free();
        var config = Path.Combine(redis.Directory, "redis.conf");

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, ct) => connectionString = await redis.ConnectionStringExpression.GetValueAsync(ct));
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, async (_, ct) =>
            StateFolder.WriteOwnerOnly(config, $"""
                bind 127.0.0.1 -::1
                port {port}
                protected-mode yes
                requirepass {await password.GetValueAsync(ct)}
                dir {redis.Directory}
                appendonly no
                save ""
                daemonize no
                logfile ""
                databases 64
                """));

        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException($"{name}'s connection string is not known yet."), name: healthCheck);

        return builder.AddResource(redis)
            .WithEndpoint(port: port, targetPort: port, name: LocalRedisResource.EndpointName, scheme: "redis", isProxied: false)
            .WithIconName("Memory")
            .WithArgs(config)
            .WithHealthCheck(healthCheck);
    }
}
