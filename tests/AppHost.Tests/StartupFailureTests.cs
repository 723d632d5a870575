using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Platform.AppHost.Tests;

/// <summary>What cannot start stops the AppHost with the resource's name and the cause, and leaves nothing running.</summary>
[Collection(AppHostRuns.Name)]
public sealed class StartupFailureTests
{
    [Fact]
    public async Task A_taken_fixed_port_stops_the_AppHost_naming_the_resource_and_the_port_and_leaves_nothing_running()
    {
        // The gateway's fixed HTTPS port, held by someone else (already taken on this machine: the condition holds anyway).
        using var squatter = new TcpListener(IPAddress.Loopback, 8443);
        try
        {
            squatter.Start();
        }
        catch (SocketException)
        {
        }

        var state = Path.Combine(Path.GetTempPath(), $"apphost-port-{Guid.NewGuid():n}"[..24]);
        var marker = Guid.NewGuid().ToString("n");
        try
        {
            var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(3), ["--no-containers", "--state-dir", state], marker: marker);

            Assert.True(code != 0, output);
            Assert.Contains("gateway: port 8443 (https) is already in use", output);
            Assert.Empty(await ProcessTable.WaitUntilGoneAsync([], marker, state, TimeSpan.FromSeconds(20)));
        }
        finally
        {
            if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task A_server_that_cannot_start_stops_the_AppHost_naming_it_with_its_own_explanation_and_leaves_nothing_running()
    {
        // A cluster left by a newer PostgreSQL (made with this password, so the AppHost keeps it): postgres refuses it.
        var state = Path.Combine(Path.GetTempPath(), $"apphost-fail-{Guid.NewGuid():n}"[..24]);
        var marker = Guid.NewGuid().ToString("n");
        var password = $"pw{Guid.NewGuid():n}";
        const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        var data = Directory.CreateDirectory(Path.Combine(state, "postgres", "data"), ownerOnly).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "99\n");
        await File.WriteAllTextAsync(Path.Combine(data, "postgresql.conf"), "");
        await File.WriteAllTextAsync(Path.Combine(state, "postgres", "password.sha256"), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(password))));
        try
        {
            var (code, output) = await AppHostProcess.RunAsync(
                TimeSpan.FromMinutes(3),
                ["--no-containers", "--resource-logs", "--state-dir", state, $"--Platform:GatewayPort={RunningAppHost.FreePort()}", $"--Parameters:postgres-password={password}"],
                marker: marker);

            Assert.Equal(1, code);
            Assert.Contains("postgres could not start", output);
            Assert.Contains("[postgres]", output);
            Assert.Contains("database files are incompatible with server", output);
            Assert.DoesNotContain("Platform is ready", output);
            Assert.Empty(await ProcessTable.WaitUntilGoneAsync([], marker, state, TimeSpan.FromSeconds(20)));
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
