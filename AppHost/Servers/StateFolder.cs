using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Platform.AppHost.Servers;

/// <summary>
/// The git-ignored folder that holds each local server's data (<c>AppHost/.state</c>; tests and benchmarks pass
/// their own with <c>--state-dir</c>). Secrets are not kept here: Aspire keeps generated parameters in the AppHost's
/// user secrets.
/// </summary>
public sealed class StateFolder
{
    public const string ConfigurationKey = "Platform:StateDirectory";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerAll = OwnerOnly | UnixFileMode.UserExecute;

    private StateFolder(string path) => Path = path;

    public string Path { get; }

    public static StateFolder For(IDistributedApplicationBuilder builder)
    {
        var path = builder.Configuration[ConfigurationKey] is { Length: > 0 } configured
            ? System.IO.Path.GetFullPath(configured, builder.AppHostDirectory)
            : System.IO.Path.Combine(builder.AppHostDirectory, ".state");
        return new StateFolder(path);
    }

    /// <summary>A resource's own folder (0700); the state folder itself is 0711 so a server user may pass through.</summary>
    public string ResourceDirectory(string resource)
    {
        Directory.CreateDirectory(Path, OwnerAll | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return Directory.CreateDirectory(System.IO.Path.Combine(Path, resource), OwnerAll).FullName;
    }

    /// <summary>
    /// Where a server that runs as another user (PostgreSQL under root runs as 'postgres') keeps its data: its folder
    /// in the state folder when that user can reach it, else under /var/tmp keyed by the state folder (a repository
    /// under /root is not reachable by other users).
    /// </summary>
    public string ReachableDirectory(string resource)
    {
        var own = System.IO.Path.Combine(Path, resource);
        for (var dir = new DirectoryInfo(Path); dir is not null; dir = dir.Parent)
        {
            if (dir.Exists && !dir.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
            {
                var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(own)))[..12];
                var parent = System.IO.Path.Combine("/var/tmp", $"platform-{key}");
                Directory.CreateDirectory(parent, OwnerAll | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
                return Directory.CreateDirectory(System.IO.Path.Combine(parent, resource), OwnerAll).FullName;
            }
        }

        return ResourceDirectory(resource);
    }

    public static void WriteOwnerOnly(string path, string content)
    {
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }
}
