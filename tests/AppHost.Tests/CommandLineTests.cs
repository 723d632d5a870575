using System.Net;
using System.Net.Sockets;

namespace Platform.AppHost.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--bogus")]
    [InlineData("--publisher", "helm", "--output-path", "x.json")]
    [InlineData("--publisher", "manifest")]
    [InlineData("--state-dir")]
    public async Task Bad_arguments_are_refused_with_the_reason_and_usage_and_start_nothing(params string[] args)
    {
        var state = Path.Combine(Path.GetTempPath(), $"apphost-args-{Guid.NewGuid():n}");
        var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(1), [.. args, "--state-dir", state]);

        Assert.Equal(2, code);
        Assert.Contains("error:", output);
        Assert.Contains("Usage: dotnet run --project AppHost", output);
        Assert.False(Directory.Exists(state), "a refused command must not create state");
    }

    [Fact]
    public async Task Unknown_argument_is_named_in_the_error()
    {
        var (_, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(1), "--frobnicate");
        Assert.Contains("Unknown argument '--frobnicate'", output);
    }

    [Fact]
    public async Task A_taken_fixed_port_names_the_resource_and_leaves_nothing_running()
    {
        // The gateway's fixed HTTPS port (8443) is held by someone else.
        using var squatter = new TcpListener(IPAddress.Loopback, 8443);
        try
        {
            squatter.Start();
        }
        catch (SocketException)
        {
            // Already taken by something else on this machine: the condition under test holds anyway.
        }

        var state = Path.Combine(Path.GetTempPath(), $"apphost-port-{Guid.NewGuid():n}");
        try
        {
            var (code, output) = await AppHostProcess.RunAsync(TimeSpan.FromMinutes(5), "--state-dir", state);

            Assert.Equal(1, code);
            Assert.Contains("gateway: port 8443 (https) is already in use", output);
            var record = Path.Combine(state, "processes");
            Assert.True(!File.Exists(record) || File.ReadAllText(record).Trim() == "", "no process may be left running");
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }
}
