using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Platform.Bench.AppHostStartup;

/// <summary>
/// How a developer starts the platform, <c>dotnet run --project AppHost</c>, without the build (this bench's
/// ProjectReference built it, in the bench's configuration) and with the http launch profile's environment, except
/// that the dashboard's, OTLP's and the resource service's ports are free ones, so that the bench does not collide
/// with an AppHost someone else runs on the machine.
/// </summary>
internal sealed class AppHostLaunch
{
    /// <summary>The gateway's fixed public port (AppHost/Program.cs): a second AppHost on the machine would take it.</summary>
    public const int GatewayPort = 8443;
    private readonly string repository;
    private readonly string configuration;
    private readonly Dictionary<string, string> environment;

    private AppHostLaunch(string repository, string configuration, Dictionary<string, string> environment, Uri dashboard)
    {
        this.repository = repository;
        this.configuration = configuration;
        this.environment = environment;
        Dashboard = dashboard;
    }

    public Uri Dashboard { get; }

    public static AppHostLaunch Find()
    {
        // bench/AppHostStartup/bin/<Configuration>/net10.0/ → the repository root and the configuration to run.
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/'));
        var configuration = output.Parent!.Name;
        var repository = output.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var appHost = Path.Combine(repository, "AppHost", "bin", configuration, "net10.0", "Platform.AppHost.dll");
        if (!File.Exists(appHost)) throw new FileNotFoundException($"Build the AppHost first (dotnet build bench/AppHostStartup -c {configuration}).", appHost);

        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(repository, "AppHost", "Properties", "launchSettings.json")));
        var profile = settings.RootElement.GetProperty("profiles").GetProperty("http");
        var environment = profile.GetProperty("environmentVariables").EnumerateObject().ToDictionary(v => v.Name, v => v.Value.GetString()!);
        environment["ASPNETCORE_URLS"] = profile.GetProperty("applicationUrl").GetString()!;
        foreach (var name in environment.Keys.ToList())
        {
            if (Uri.TryCreate(environment[name], UriKind.Absolute, out var url) && url.IsLoopback)
            {
                environment[name] = new UriBuilder(url) { Port = FreePort() }.Uri.ToString().TrimEnd('/');
            }
        }

        return new AppHostLaunch(repository, configuration, environment, new Uri(environment["ASPNETCORE_URLS"]));
    }

    public string Describe() =>
        $"dotnet run --project AppHost --no-build -c {configuration} --no-launch-profile (the http profile's environment, dashboard on {Dashboard})";

    public ProcessStartInfo StartInfo(string stateDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = repository,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "run", "--project", "AppHost", "--no-build", "-c", configuration, "--no-launch-profile", "--", "--state-dir", stateDirectory })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment) start.Environment[name] = value;
        return start;
    }

    /// <summary>Null when the gateway's port is free, else why the AppHost could not start here now.</summary>
    public static string? GatewayPortTaken()
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, GatewayPort);
            listener.Start();
            return null;
        }
        catch (SocketException e)
        {
            return $"Port {GatewayPort.ToString(CultureInfo.InvariantCulture)} (the gateway's) is taken ({e.SocketErrorCode}): another AppHost runs on this machine. Try again when it has stopped.";
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
