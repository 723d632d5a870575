using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.AppHost.Servers;

/// <summary>
/// PostgreSQL from Debian's package as a local process: a private cluster in the state folder (initdb with SCRAM and
/// the generated password), listening on loopback. Its connection string has Aspire's format, so services cannot
/// tell it from the official container, plus one keyword: no GSS encryption attempt, since a loopback server never
/// speaks Kerberos and the attempt runs in native GSSAPI code that no Npgsql timeout interrupts.
/// </summary>
public sealed class LocalPostgresServerResource(string name, ParameterResource password, string directory)
    : LocalServerResource(name, directory), IResourceWithConnectionString
{
    public const string UserName = "postgres";
    internal const string EndpointName = "tcp";

    public ParameterResource PasswordParameter { get; } = password;

    public string Directory { get; } = directory;

    public EndpointReference PrimaryEndpoint => field ??= new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={PasswordParameter};GSS Encryption Mode=Disable");

    /// <summary>Its databases by resource name.</summary>
    public Dictionary<string, LocalPostgresDatabaseResource> Databases { get; } = [];

    /// <summary>PostgreSQL refuses to run as root: then it runs as the 'postgres' user the package creates.</summary>
    internal static string? RunAs => NativeMethods.IsRoot ? "postgres" : null;

    public override IReadOnlyList<RequiredPackage> Packages { get; } = [new("postgresql", "initdb", "postgres")];

    public override string ResolveCommand() => RunAs is null ? Program("postgres") : Program("setpriv");

    internal static string Program(string name) =>
        PackageInstaller.FindProgram(name) ?? throw new DistributedApplicationException($"'{name}' is not found.");

    internal string DataDirectory => Path.Combine(Directory, "data");

    internal string SocketDirectory => Path.Combine(Directory, "run");
}

/// <summary>A database of a local PostgreSQL server, created when the server is ready (as Aspire's own does).</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent { get; } = parent;

    public string DatabaseName { get; } = databaseName;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

public static class LocalPostgresExtensions
{
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name, StateFolder state)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var server = new LocalPostgresServerResource(name, password, state.ReachableDirectory(name));
        var port = Ports.Free();

        string? adminConnectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, ct) =>
            adminConnectionString = new NpgsqlConnectionStringBuilder(await server.ConnectionStringExpression.GetValueAsync(ct))
            {
                Database = "postgres",
                // DCP stops PostgreSQL with SIGTERM, its "smart" shutdown, which waits for every client: hold none open.
                Pooling = false,
                Timeout = 3,
            }.ConnectionString);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (@event, ct) =>
        {
            var logger = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(server);
            await InitializeClusterAsync(server, await server.PasswordParameter.GetValueAsync(ct) ?? "", logger, ct);
        });

        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, ct) =>
        {
            await using var connection = new NpgsqlConnection(adminConnectionString);
            await connection.OpenAsync(ct);
            foreach (var database in @event.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalPostgresDatabaseResource>().Where(d => d.Parent == server))
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.DatabaseName}\"", connection);
                try
                {
                    await create.ExecuteNonQueryAsync(ct);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                }
            }
        });

        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddNpgSql(_ => adminConnectionString ?? throw new InvalidOperationException($"{name}'s connection string is not known yet."), name: healthCheck);

        return builder.AddResource(server)
            .WithEndpoint(port: port, targetPort: port, name: LocalPostgresServerResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithIconName("DatabaseMultiple")
            .WithArgs(context =>
            {
                if (LocalPostgresServerResource.RunAs is { } user)
                {
                    // setpriv execs: postgres is DCP's own child, so DCP's signals reach it (runuser and su stay in between).
                    context.Args.Add($"--reuid={user}");
                    context.Args.Add($"--regid={user}");
                    context.Args.Add("--init-groups");
                    context.Args.Add("--");
                    context.Args.Add(LocalPostgresServerResource.Program("postgres"));
                }

                context.Args.Add("-D");
                context.Args.Add(server.DataDirectory);
                context.Args.Add("-p");
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                foreach (var setting in new[] { "listen_addresses=localhost", $"unix_socket_directories={server.SocketDirectory}", "logging_collector=off", "max_connections=300" })
                {
                    context.Args.Add("-c");
                    context.Args.Add(setting);
                }

                if (context.ExecutionContext.Services.GetService<LocalServerOptions>() is { Ephemeral: true })
                {
                    // Throwaway test clusters: a process crash loses nothing, only an OS crash could.
                    foreach (var setting in new[] { "fsync=off", "synchronous_commit=off", "full_page_writes=off" })
                    {
                        context.Args.Add("-c");
                        context.Args.Add(setting);
                    }
                }
            })
            .WithHealthCheck(healthCheck);
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresServerResource> builder, string name, string? databaseName = null)
    {
        var database = new LocalPostgresDatabaseResource(name, databaseName ?? name, builder.Resource);
        builder.Resource.Databases[name] = database;

        string? connectionString = null;
        builder.ApplicationBuilder.Eventing.Subscribe<ConnectionStringAvailableEvent>(database, async (_, ct) =>
            connectionString = new NpgsqlConnectionStringBuilder(await database.ConnectionStringExpression.GetValueAsync(ct)) { Pooling = false, Timeout = 3 }.ConnectionString);
        var healthCheck = $"{name}_check";
        builder.ApplicationBuilder.Services.AddHealthChecks().AddNpgSql(_ => connectionString ?? throw new InvalidOperationException($"{name}'s connection string is not known yet."), name: healthCheck);

        return builder.ApplicationBuilder.AddResource(database)
            .WithParentStateOf(builder.Resource)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>
    /// initdb once, as the server's user, with the password in a 0600 file (never on a command line). A cluster made
    /// with another password (the user secrets were reset) is made anew: it holds only local development data.
    /// </summary>
    private static async Task InitializeClusterAsync(LocalPostgresServerResource server, string password, ILogger logger, CancellationToken cancellationToken)
    {
        var marker = Path.Combine(server.Directory, "password.sha256");
        var passwordHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password)));
        System.IO.Directory.CreateDirectory(server.SocketDirectory);
        var initialized = File.Exists(Path.Combine(server.DataDirectory, "PG_VERSION"));
        if (initialized && File.Exists(marker) && (await File.ReadAllTextAsync(marker, cancellationToken)).Trim() == passwordHash)
        {
            await ChownAsync(server, logger, cancellationToken);
            return;
        }

        if (initialized) logger.LogWarning("The cluster in {Data} was made with another password; making a new one.", server.DataDirectory);
        logger.LogInformation("Creating a new cluster in {Data}", server.DataDirectory);
        if (System.IO.Directory.Exists(server.DataDirectory)) System.IO.Directory.Delete(server.DataDirectory, recursive: true);
        var passwordFile = Path.Combine(server.Directory, "initdb-password");
        StateFolder.WriteOwnerOnly(passwordFile, password);
        try
        {
            await ChownAsync(server, logger, cancellationToken);
            var initdb = LocalPostgresServerResource.Program("initdb");
            List<string> args = ["-D", server.DataDirectory, "-U", LocalPostgresServerResource.UserName, $"--pwfile={passwordFile}",
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions", "--no-sync"];
            var code = LocalPostgresServerResource.RunAs is { } user
                ? await ChildProcess.RunAsync("setpriv", [$"--reuid={user}", $"--regid={user}", "--init-groups", "--", initdb, .. args], logger, cancellationToken)
                : await ChildProcess.RunAsync(initdb, args, logger, cancellationToken);
            if (code != 0) throw new DistributedApplicationException($"{server.Name}: initdb failed with exit code {code} (its output is in {server.Name}'s console log).");
            StateFolder.WriteOwnerOnly(marker, passwordHash);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task ChownAsync(LocalPostgresServerResource server, ILogger logger, CancellationToken cancellationToken)
    {
        if (LocalPostgresServerResource.RunAs is not { } user) return;
        if (await ChildProcess.RunAsync("chown", ["-R", $"{user}:{user}", server.Directory], logger, cancellationToken) != 0)
        {
            throw new DistributedApplicationException($"{server.Name}: could not give {server.Directory} to the '{user}' user.");
        }
    }
}
