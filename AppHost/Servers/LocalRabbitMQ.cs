using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using RabbitMQ.Client;

namespace Platform.AppHost.Servers;

/// <summary>
/// RabbitMQ from Debian's package as a local process: its own node name, cookie, data and configuration in the state
/// folder, AMQP on loopback only, and the generated password for its user. Its Erlang port mapper (epmd) is a
/// resource of its own (<see cref="LocalEpmdResource"/>): one RabbitMQ would start itself outlives the AppHost.
/// </summary>
public sealed class LocalRabbitMQServerResource(string name, ParameterResource password, string directory)
    : LocalServerResource(name, directory), IResourceWithConnectionString
{
    public const string UserName = "guest";
    internal const string EndpointName = "tcp";

    public ParameterResource PasswordParameter { get; } = password;

    public string Directory { get; } = directory;

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName}:{PasswordParameter}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");

    /// <summary>Erlang's node name; with the cookie under <see cref="Home"/> it is what rabbitmqctl needs to reach the node.</summary>
    public const string NodeName = "rabbit@localhost";

    public string Home => Path.Combine(Directory, "home");

    public int EpmdPort { get; internal set; }

    public override IReadOnlyList<RequiredPackage> Packages { get; } = [new("rabbitmq-server", "rabbitmq-server", "epmd")];

    // Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user and logs to a file; the script under /usr/lib runs as we are.
    public override string ResolveCommand() => LocalPostgresServerResource.Program("rabbitmq-server");
}

/// <summary>The Erlang port mapper of a local RabbitMQ node, in the foreground, so that it stops with the AppHost.</summary>
public sealed class LocalEpmdResource(string name, string directory) : LocalServerResource(name, directory)
{
    public override IReadOnlyList<RequiredPackage> Packages { get; } = [new("rabbitmq-server", "epmd")];

    public override string ResolveCommand() => LocalPostgresServerResource.Program("epmd");
}

public static class LocalRabbitMQExtensions
{
    public static IResourceBuilder<LocalRabbitMQServerResource> AddLocalRabbitMQ(this IDistributedApplicationBuilder builder, string name, StateFolder state)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var rabbit = new LocalRabbitMQServerResource(name, password, state.ResourceDirectory(name));
        var port = Ports.Free();
        // epmd cannot sit behind DCP's proxy (Erlang rejects a reply that names another port): these ports are ours.
        rabbit.EpmdPort = Ports.Free();
        var distributionPort = Ports.Free();
        var inv = System.Globalization.CultureInfo.InvariantCulture;

        var epmd = builder.AddResource(new LocalEpmdResource($"{name}-epmd", rabbit.Directory))
            .WithArgs("-port", rabbit.EpmdPort.ToString(inv), "-address", "127.0.0.1")
            .WithEnvironment("ERL_EPMD_ADDRESS", "127.0.0.1")
            .WithParentRelationship(rabbit)
            .WithIconName("PlugConnected")
            .WithHealthCheck($"{name}-epmd_check");
        builder.Services.AddHealthChecks().AddAsyncCheck($"{name}-epmd_check", ct => EpmdAnswersAsync(rabbit.EpmdPort, ct));

        var config = Path.Combine(rabbit.Directory, "rabbitmq.conf");
        var envFile = Path.Combine(rabbit.Directory, "rabbitmq-env.conf");
        var plugins = Path.Combine(rabbit.Directory, "enabled_plugins");
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(rabbit, async (_, ct) =>
        {
            System.IO.Directory.CreateDirectory(rabbit.Home);
            // default_user applies to a fresh node only: a node made with another password is made anew (local data).
            var pass = await password.GetValueAsync(ct) ?? "";
            var marker = Path.Combine(rabbit.Directory, "password.sha256");
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(pass)));
            var mnesia = Path.Combine(rabbit.Directory, "mnesia");
            if (!File.Exists(marker) || File.ReadAllText(marker).Trim() != hash)
            {
                if (System.IO.Directory.Exists(mnesia)) System.IO.Directory.Delete(mnesia, recursive: true);
                StateFolder.WriteOwnerOnly(marker, hash);
            }

            StateFolder.WriteOwnerOnly(config, $"""
                listeners.tcp.default = 127.0.0.1:{port}
                default_user = {LocalRabbitMQServerResource.UserName}
                default_pass = {pass}
                loopback_users = none
                log.console = true
                log.console.level = warning
                log.file = false
                disk_free_limit.absolute = 50MB
                """);
            if (!File.Exists(envFile)) StateFolder.WriteOwnerOnly(envFile, "# Intentionally empty: keeps /etc/rabbitmq/rabbitmq-env.conf out of this private node.\n");
            if (!File.Exists(plugins)) StateFolder.WriteOwnerOnly(plugins, "[].\n");
        });

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(rabbit, async (_, ct) => connectionString = await rabbit.ConnectionStringExpression.GetValueAsync(ct));
        var healthCheck = $"{name}_check";
        IConnection? connection = null;
        builder.Services.AddHealthChecks().AddRabbitMQ(async _ =>
            connection ??= await new ConnectionFactory { Uri = new Uri(connectionString!), ClientProvidedName = "apphost-health" }.CreateConnectionAsync(), name: healthCheck);

        return builder.AddResource(rabbit)
            .WithEndpoint(port: port, targetPort: port, name: LocalRabbitMQServerResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithIconName("Mailbox")
            .WithEnvironment(context =>
            {
                var env = context.EnvironmentVariables;
                env["HOME"] = rabbit.Home;
                env["ERL_EPMD_PORT"] = rabbit.EpmdPort.ToString(inv);
                env["ERL_EPMD_ADDRESS"] = "127.0.0.1";
                env["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-start_epmd false";
                // No Erlang VM of this node's tree (the server, and what Debian's scripts run beside it, such as
                // rabbitmqctl when it is stopped) may start an `epmd -daemon` of its own when the node's epmd has
                // already stopped: that one would outlive the AppHost.
                env["ERL_FLAGS"] = "-start_epmd false";
                env["RABBITMQ_CTL_ERL_ARGS"] = "-start_epmd false";
                env["RABBITMQ_NODENAME"] = LocalRabbitMQServerResource.NodeName;
                env["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                env["RABBITMQ_NODE_PORT"] = port.ToString(inv);
                env["RABBITMQ_DIST_PORT"] = distributionPort.ToString(inv);
                env["RABBITMQ_CONFIG_FILE"] = config;
                env["RABBITMQ_CONF_ENV_FILE"] = envFile;
                env["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins;
                env["RABBITMQ_MNESIA_BASE"] = Path.Combine(rabbit.Directory, "mnesia");
                env["RABBITMQ_LOG_BASE"] = Path.Combine(rabbit.Directory, "log");
                env["RABBITMQ_LOGS"] = "-";
                env["RABBITMQ_PID_FILE"] = Path.Combine(rabbit.Directory, "rabbit.pid");
            })
            .WaitFor(epmd)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>EPMD's NAMES_REQ: healthy when the port mapper answers with its port.</summary>
    private static async Task<HealthCheckResult> EpmdAnswersAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, cancellationToken);
            var stream = client.GetStream();
            await stream.WriteAsync(new byte[] { 0, 1, 110 }, cancellationToken);
            var reply = new byte[4];
            await stream.ReadExactlyAsync(reply, cancellationToken);
            return System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(reply) == port ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("epmd answered with another port");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
    }
}
