using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.AppHost.Servers;
using Platform.Hosting.Testing.SharedServers;

namespace Platform.Hosting.Testing;

/// <summary>
/// One set of servers (the AppHost's PostgreSQL, Redis and RabbitMQ) for the whole test run, shared by every test
/// process through a <see cref="SharedServerHost"/> that the first one starts and that stops by itself once no test
/// process has used it for a minute. Each fixture is isolated in a <see cref="ServerLease"/>: its own databases,
/// RabbitMQ virtual host and Redis database. A fixture that stops or kills a server starts its own
/// <see cref="TestingApplication"/> instead.
/// </summary>
public static class TestServers
{
    private static readonly TimeSpan startLimit = TimeSpan.FromMinutes(6);
    private static readonly Lock gate = new();
    private static Task<SharedServerSet>? shared;
    private static bool startedShared;
    private static int setsStarted;

    /// <summary>How many server sets this test process started itself (printed once when it ends).</summary>
    public static int SetsStarted => setsStarted;

    /// <summary>Set in the shared host, whose servers are the run's, not a test project's.</summary>
    internal static bool InSharedHost { get; set; }

    public static async Task<ServerLease> LeaseAsync()
    {
        Task<SharedServerSet> servers;
        lock (gate)
        {
            servers = shared ??= JoinAsync();
        }

        var set = await servers;
        var folder = SharedServerFolder.ForThisBuild();
        using (await folder.LockAsync())
        {
            return new ServerLease(set, folder.NextLease());
        }
    }

    internal static void CountSet()
    {
        if (InSharedHost) return;
        if (Interlocked.Increment(ref setsStarted) == 1) ReportAtExit();
    }

    /// <summary>Joins the run's shared servers, starting their host if none runs; waits until they are healthy.</summary>
    private static async Task<SharedServerSet> JoinAsync()
    {
        var folder = SharedServerFolder.ForThisBuild();
        using var timeout = new CancellationTokenSource(startLimit);
        while (true)
        {
            using (await folder.LockAsync(timeout.Token))
            {
                if (SharedServerSet.Read(folder.ServersPath) is { } set && SharedServerFolder.Alive(set.HostProcessId))
                {
                    folder.RegisterClient();
                    ReportAtExit();
                    return set;
                }

                if (folder.LiveHost() is null)
                {
                    if (startedShared && File.Exists(folder.FailurePath))
                    {
                        throw new InvalidOperationException($"The shared test servers did not start: {File.ReadAllText(folder.FailurePath)}{Environment.NewLine}(host log: {folder.LogPath})");
                    }

                    // Registered before the host starts, so that it does not stop for lack of clients before this one joins.
                    folder.RegisterClient();
                    folder.LaunchHost();
                    startedShared = true;
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"The shared test servers were not ready within {startLimit.TotalMinutes} minutes (host log: {folder.LogPath}).");
            }
        }
    }

    private static int reported;

    private static void ReportAtExit()
    {
        if (Interlocked.Exchange(ref reported, 1) == 1) return;

        // VSTest does not show a test process's own console, so the count goes beside the resource logs.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            var project = AppContext.BaseDirectory.Split(Path.DirectorySeparatorChar).TakeWhile(part => part != "bin").LastOrDefault();
            var sharing = shared is null ? "did not use the shared set"
                : startedShared ? "started the run's shared set" : "joined the run's shared set started by another test process";
            var line = $"{project}: {setsStarted + (startedShared ? 1 : 0)} server set(s) started; it {sharing}; {setsStarted} started by fixtures that stop servers";
            Console.Error.WriteLine(line);
            var folder = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "platform-logs")).FullName;
            File.WriteAllText(Path.Combine(folder, "server-sets.txt"), line + Environment.NewLine);
        };
    }
}

/// <summary>A fixture's own corner of the shared servers: connection strings by the AppHost's resource names.</summary>
public sealed class ServerLease(SharedServerSet servers, int number) : IAsyncDisposable
{
    private readonly Dictionary<string, string> connectionStrings = [];
    private readonly SemaphoreSlim gate = new(1, 1);

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
                "redis" => $"{servers.Redis},defaultDatabase={number % 64}",
                "messaging" => $"{servers.Messaging}/{VirtualHost()}",
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
        var server = servers.Postgres;
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
        Rabbitmqctl("add_vhost", name);
        Rabbitmqctl("set_permissions", "-p", name, LocalRabbitMQServerResource.UserName, ".*", ".*", ".*");
        return name;
    }

    private void Rabbitmqctl(params string[] args)
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
        start.Environment["HOME"] = servers.RabbitHome;
        start.Environment["ERL_EPMD_PORT"] = servers.RabbitEpmdPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RABBITMQ_CONF_ENV_FILE"] = Path.Combine(servers.RabbitDirectory, "rabbitmq-env.conf");
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
