using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.AppHost.Servers;

namespace Platform.Hosting.Testing;

/// <summary>
/// One set of servers (the AppHost's PostgreSQL, Redis and RabbitMQ) per test process, started once through
/// Aspire.Hosting.Testing and shared by every fixture, each isolated in a <see cref="ServerLease"/>: its own
/// databases, RabbitMQ virtual host and Redis database. A fixture that stops or kills a server starts its own
/// <see cref="TestingApplication"/> instead.
/// </summary>
public static class TestServers
{
    private static readonly Lock gate = new();
    private static Task<TestingApplication>? shared;
    private static int leases;

    /// <summary>How many server sets this test process started (printed once when it ends).</summary>
    public static int SetsStarted => setsStarted;

    private static int setsStarted;

    public static async Task<ServerLease> LeaseAsync()
    {
        Task<TestingApplication> servers;
        lock (gate)
        {
            servers = shared ??= StartAsync();
        }

        return new ServerLease(await servers, Interlocked.Increment(ref leases));
    }

    internal static void CountSet()
    {
        if (Interlocked.Increment(ref setsStarted) == 1)
        {
            // VSTest does not show a test process's own console, so the count goes beside the resource logs.
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                var project = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).TakeWhile(part => part != "bin").LastOrDefault();
                var line = $"{project}: {setsStarted} server set(s) started ({(shared is null ? "none shared" : "one shared by every fixture")}, the others by fixtures that stop servers)";
                Console.Error.WriteLine(line);
                var folder = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "platform-logs")).FullName;
                File.WriteAllText(Path.Combine(folder, "server-sets.txt"), line + Environment.NewLine);
            };
        }
    }

    private static async Task<TestingApplication> StartAsync()
    {
        var app = await TestingApplication.CreateAsync();
        app.KeepOnly("postgres", "redis", "messaging");
        await app.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => app.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(15));
        return app;
    }
}

/// <summary>A fixture's own corner of the shared servers: connection strings by the AppHost's resource names.</summary>
public sealed class ServerLease(TestingApplication servers, int number) : IAsyncDisposable
{
    private readonly Dictionary<string, string> connectionStrings = [];
    private readonly SemaphoreSlim gate = new(1, 1);

    public TestingApplication Servers { get; } = servers;

    /// <summary>
    /// <c>redis</c>: a Redis database of its own; <c>messaging</c>: a virtual host of its own; a database resource
    /// (<c>keysdb</c>…) or <c>postgres</c>: a database of its own, made on first use.
    /// </summary>
    public string GetConnectionString(string resource)
    {
        gate.Wait();
        try
        {
            if (connectionStrings.TryGetValue(resource, out var known)) return known;
            var made = resource switch
            {
                "redis" => $"{Servers.GetConnectionString("redis")},defaultDatabase={number % 64}",
                "messaging" => $"{Servers.GetConnectionString("messaging")}/{VirtualHost()}",
                _ => Database(resource),
            };
            connectionStrings[resource] = made;
            return made;
        }
        finally
        {
            gate.Release();
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string Database(string resource)
    {
        var name = $"{resource}_{number}";
        var server = Servers.GetConnectionString("postgres");
        using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            create.ExecuteNonQuery();
        }

        // No GSS encryption attempt: a loopback server never speaks Kerberos, and the attempt runs in native GSSAPI code
        // that no Npgsql timeout interrupts (suspected in a Storage.Tests request that hung for 10 minutes).
        return new NpgsqlConnectionStringBuilder(server) { Database = name, GssEncryptionMode = GssEncryptionMode.Disable }.ConnectionString;
    }

    /// <summary>A new virtual host with the guest user's rights, made with rabbitmqctl (the node's cookie is in the state folder).</summary>
    private string VirtualHost()
    {
        var name = $"lease{number}";
        var rabbit = Servers.Application.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalRabbitMQServerResource>().Single();
        Rabbitmqctl(rabbit, "add_vhost", name);
        Rabbitmqctl(rabbit, "set_permissions", "-p", name, LocalRabbitMQServerResource.UserName, ".*", ".*", ".*");
        return name;
    }

    private static void Rabbitmqctl(LocalRabbitMQServerResource rabbit, params string[] args)
    {
        var start = new ProcessStartInfo(PackageInstaller.FindProgram("rabbitmqctl") ?? "rabbitmqctl")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-n");
        start.ArgumentList.Add(LocalRabbitMQServerResource.NodeName);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["HOME"] = rabbit.Home;
        start.Environment["ERL_EPMD_PORT"] = rabbit.EpmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(rabbit.Directory, "rabbitmq-env.conf");
        // The CLI would start an Erlang port mapper of its own (and leave it running) if the node's were gone.
        start.Environment["RABBITMQ_CTL_ERL_ARGS"] = "-start_epmd false";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            // Killed before its output is read: a CLI that hangs keeps its pipes open, and reading them would wait forever.
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"rabbitmqctl {string.Join(' ', args)} did not finish within 60 s: {output.Result} {errors.Result}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} failed: {output.Result} {errors.Result}");
        }
    }
}
