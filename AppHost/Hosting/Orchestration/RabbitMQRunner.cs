using RabbitMQ.Client;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// A private RabbitMQ node: its own Erlang port mapper (epmd) on a free port, its own cookie, data and
/// configuration in the state folder, AMQP on loopback only, and the generated password for its user.
/// </summary>
internal sealed class RabbitMQRunner(RabbitMQServerResource rabbit, OrchestratorContext context) : ResourceRunner(rabbit, context)
{
    private ManagedProcess? epmd;
    private ManagedProcess? server;
    private int epmdPort;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var directory = Context.State.ResourceDirectory(rabbit.Name);
        var home = Directory.CreateDirectory(Path.Combine(directory, "home")).FullName;
        var port = rabbit.PrimaryEndpoint.AllocatedPort();
        var inv = System.Globalization.CultureInfo.InvariantCulture;

        // A private epmd keeps this node apart from any other Erlang node on the machine (and from the system's 4369).
        epmdPort = PortAllocator.FreePort();
        var distributionPort = PortAllocator.FreePort();
        epmd = ManagedProcess.Start(
            new ProcessSpec($"{rabbit.Name}-epmd", PackageInstaller.FindProgram("epmd")!, ["-port", epmdPort.ToString(inv), "-address", "127.0.0.1"]) { WorkingDirectory = directory },
            Context.Processes, Context.Output);

        var config = Path.Combine(directory, "rabbitmq.conf");
        StateFolder.WriteOwnerOnly(config, $"""
            listeners.tcp.default = 127.0.0.1:{port}
            default_user = {RabbitMQServerResource.UserName}
            default_pass = {rabbit.Password.GetValue()}
            loopback_users = none
            log.console = true
            log.console.level = warning
            log.file = false
            disk_free_limit.absolute = 50MB
            """);
        var envFile = Path.Combine(directory, "rabbitmq-env.conf");
        if (!File.Exists(envFile)) StateFolder.WriteOwnerOnly(envFile, "# Intentionally empty: keeps /etc/rabbitmq/rabbitmq-env.conf out of this private node.\n");
        var plugins = Path.Combine(directory, "enabled_plugins");
        if (!File.Exists(plugins)) StateFolder.WriteOwnerOnly(plugins, "[].\n");

        var environment = new Dictionary<string, string?>
        {
            ["HOME"] = home,
            ["ERL_EPMD_PORT"] = epmdPort.ToString(inv),
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODENAME"] = "rabbit@localhost",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(inv),
            ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(inv),
            ["RABBITMQ_CONFIG_FILE"] = config,
            ["RABBITMQ_CONF_ENV_FILE"] = envFile,
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = plugins,
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_LOGS"] = "-",
            ["RABBITMQ_PID_FILE"] = Path.Combine(directory, "rabbit.pid"),
            ["RABBITMQ_DEFAULT_PASS"] = null,
            ["RABBITMQ_DEFAULT_USER"] = null,
        };

        server = ManagedProcess.Start(
            new ProcessSpec(rabbit.Name, PackageInstaller.FindProgram("rabbitmq-server")!, []) { WorkingDirectory = directory, Environment = environment },
            Context.Processes, Context.Output);

        var factory = new ConnectionFactory
        {
            Uri = new Uri(rabbit.ConnectionStringExpression.GetValue()),
            AutomaticRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
            ClientProvidedName = "apphost-health",
        };
        await WaitUntilHealthyAsync(async ct =>
        {
            await using var connection = await factory.CreateConnectionAsync(ct);
            return connection.IsOpen;
        }, server, TimeSpan.FromSeconds(120), cancellationToken);
    }

    public override async Task StopAsync()
    {
        // SIGTERM is a graceful stop for the broker: queues are closed cleanly.
        if (server is not null) await server.StopAsync(NativeMethods.SIGTERM, TimeSpan.FromSeconds(30));
        if (epmd is not null) await epmd.StopAsync(NativeMethods.SIGTERM, TimeSpan.FromSeconds(5));
        server = null;
        epmd = null;
    }
}
