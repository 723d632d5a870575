using System.Diagnostics;
using Npgsql;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// A private PostgreSQL cluster: initdb into the state folder with SCRAM authentication and the generated
/// password, then postgres on loopback. PostgreSQL refuses to run as root, so under root it runs as the
/// 'postgres' user the package creates.
/// </summary>
internal sealed class PostgresRunner(PostgresServerResource server, OrchestratorContext context) : ResourceRunner(server, context)
{
    private ManagedProcess? process;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var initdb = PackageInstaller.FindProgram("initdb")!;
        var postgres = PackageInstaller.FindProgram("postgres")!;
        var runAs = NativeMethods.IsRoot ? "postgres" : null;
        var root = RootDirectory(runAs);
        var data = Path.Combine(root, "data");
        var socket = Path.Combine(root, "run");
        Directory.CreateDirectory(socket);

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            await InitializeAsync(initdb, root, data, runAs, cancellationToken);
        }
        else
        {
            await StopLeftoverAsync(data);
        }

        if (runAs is not null) await RunAsync("chown", ["-R", $"{runAs}:{runAs}", root], cancellationToken);

        var port = server.PrimaryEndpoint.AllocatedPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        List<string> args =
        [
            "-D", data, "-p", port,
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"unix_socket_directories={socket}",
            "-c", "logging_collector=off",
            "-c", "max_connections=300",
        ];
        if (Context.Options.Ephemeral)
        {
            // Throwaway test clusters: a process crash loses nothing, only an OS crash could.
            args.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }

        process = ManagedProcess.Start(new ProcessSpec(server.Name, postgres, args) { RunAsUser = runAs, WorkingDirectory = root }, Context.Processes, Context.Output);

        var connectionString = AdminConnectionString();
        await WaitUntilHealthyAsync(async ct =>
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                return await command.ExecuteScalarAsync(ct) is 1;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
            {
                throw new DistributedApplicationException(
                    $"{server.Name}: the cluster in '{data}' was initialised with another password than the one in the state folder's secrets.json. Delete '{root}' to start afresh.");
            }
        }, process, TimeSpan.FromSeconds(60), cancellationToken);
    }

    public override async Task StopAsync()
    {
        // SIGINT is PostgreSQL's "fast" shutdown: clients are disconnected, data is flushed.
        if (process is not null) await process.StopAsync(NativeMethods.SIGINT, TimeSpan.FromSeconds(15));
        process = null;
    }

    public string AdminConnectionString() => new NpgsqlConnectionStringBuilder(server.ConnectionStringExpression.GetValue())
    {
        Database = "postgres",
        Pooling = false,
        Timeout = 3,
    }.ConnectionString;

    private string RootDirectory(string? runAs)
    {
        var root = Context.State.ResourceDirectory(server.Name);
        if (runAs is null) return root;

        // The postgres user must be able to reach its data folder; a state folder under a private home (/root)
        // is not reachable, so its data then lives under /var/tmp, keyed by the state folder.
        for (var dir = new DirectoryInfo(Context.State.Path); dir is not null; dir = dir.Parent)
        {
            if (!dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                var key = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(root)))[..12];
                var parent = Path.Combine("/var/tmp", $"platform-{key}");
                Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                return Directory.CreateDirectory(Path.Combine(parent, server.Name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
            }
        }

        return root;
    }

    private async Task InitializeAsync(string initdb, string root, string data, string? runAs, CancellationToken cancellationToken)
    {
        Context.Output.Info($"{server.Name}: creating a new cluster in {data}");
        if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        var passwordFile = Path.Combine(root, "initdb-password");
        StateFolder.WriteOwnerOnly(passwordFile, server.Password.GetValue());
        try
        {
            if (runAs is not null) await RunAsync("chown", ["-R", $"{runAs}:{runAs}", root], cancellationToken);
            List<string> args = ["-D", data, "-U", PostgresServerResource.UserName, $"--pwfile={passwordFile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions"];
            var code = await RunAsync(runAs is null ? initdb : "setpriv", runAs is null ? args : [$"--reuid={runAs}", $"--regid={runAs}", "--init-groups", "--", initdb, .. args], cancellationToken);
            if (code != 0)
            {
                throw new DistributedApplicationException($"{server.Name}: initdb failed with code {code}. Its last output:{Environment.NewLine}{Context.Output.Tail(server.Name)}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>A postmaster left running by an AppHost that was killed outright: stop it before starting anew.</summary>
    private async Task StopLeftoverAsync(string data)
    {
        var pidFile = Path.Combine(data, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid) || !NativeMethods.ProcessExists(pid)) return;
        var cmdline = File.Exists($"/proc/{pid}/cmdline") ? await File.ReadAllTextAsync($"/proc/{pid}/cmdline") : "";
        if (!cmdline.Contains(data, StringComparison.Ordinal)) return;
        Context.Output.Info($"{server.Name}: stopping a leftover server (pid {pid}) from an earlier run");
        NativeMethods.Signal(pid, NativeMethods.SIGINT);
        for (var i = 0; i < 100 && NativeMethods.ProcessExists(pid); i++) await Task.Delay(100);
    }

    private async Task<int> RunAsync(string fileName, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var child = new Process { StartInfo = start };
        child.OutputDataReceived += (_, e) => { if (e.Data is not null) Context.Output.Write(server.Name, e.Data); };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) Context.Output.Write(server.Name, e.Data); };
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        await child.WaitForExitAsync(cancellationToken);
        return child.ExitCode;
    }
}
