using System.Diagnostics;

namespace Platform.AppHost.Servers;

/// <summary>How PostgreSQL, Redis and RabbitMQ run.</summary>
public enum ServerMode
{
    /// <summary>Aspire's official containers (<c>AddPostgres</c>, <c>AddRedis</c>, <c>AddRabbitMQ</c>): publish mode, or a machine with Docker or Podman.</summary>
    Containers,

    /// <summary>Debian's server programs as local processes, installed when missing: a machine without a container engine.</summary>
    Processes,
}

internal static class ServerModes
{
    public const string ConfigurationKey = "Platform:Servers";

    /// <summary>
    /// Containers when publishing, or when asked for (<c>--containers</c>), or when a container runtime answers; local
    /// processes when asked for (<c>--no-containers</c>) or when none answers (a `docker` client without an engine
    /// does not count).
    /// </summary>
    public static ServerMode Resolve(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode) return ServerMode.Containers;
        switch (builder.Configuration[ConfigurationKey])
        {
            case "containers": return ServerMode.Containers;
            case "processes": return ServerMode.Processes;
        }

        if (Answers("docker")) return ServerMode.Containers;
        if (Answers("podman"))
        {
            Environment.SetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME", "podman");
            return ServerMode.Containers;
        }

        builder.Configuration[ConfigurationKey] = "processes";
        return ServerMode.Processes;
    }

    private static bool Answers(string runtime)
    {
        if (PackageInstaller.FindProgram(runtime) is not { } program) return false;
        try
        {
            using var process = Process.Start(new ProcessStartInfo(program, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0 && process.StandardOutput.ReadToEnd().Trim().Length > 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
