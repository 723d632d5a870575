using System.Security.Cryptography;
using System.Text.Json;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// The git-ignored folder that holds each resource's data, the generated secrets (a file only its owner can read)
/// and a lock, so that two AppHosts never share one set of servers.
/// </summary>
internal sealed class StateFolder : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly FileStream lockFile;

    private StateFolder(string path, FileStream lockFile)
    {
        Path = path;
        this.lockFile = lockFile;
    }

    public string Path { get; }

    public static StateFolder Open(string path)
    {
        // 0711: others may pass through (PostgreSQL runs as its own user) but not list or read.
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var lockPath = System.IO.Path.Combine(path, "apphost.lock");
        try
        {
            var stream = new FileStream(lockPath, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None, UnixCreateMode = OwnerOnly });
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            stream.Flush();
            return new StateFolder(path, stream);
        }
        catch (IOException)
        {
            var owner = File.Exists(lockPath) ? File.ReadAllText(lockPath).Trim() : "?";
            throw new DistributedApplicationException($"The state folder '{path}' is in use by another AppHost (pid {owner}). Stop it first, or pass --state-dir to use another folder.");
        }
    }

    public string ResourceDirectory(string resource)
    {
        var directory = System.IO.Path.Combine(Path, resource);
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return directory;
    }

    /// <summary>Gives every parameter its value: generated secrets are made once and kept.</summary>
    public void ResolveParameters(IEnumerable<ParameterResource> parameters)
    {
        var file = System.IO.Path.Combine(Path, "secrets.json");
        var secrets = File.Exists(file)
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(file)) ?? []
            : [];
        var changed = false;
        foreach (var parameter in parameters)
        {
            if (!secrets.TryGetValue(parameter.Name, out var value))
            {
                value = Generate(Math.Max(parameter.GenerateMinLength, 22));
                secrets[parameter.Name] = value;
                changed = true;
            }

            parameter.SetValue(value);
        }

        if (changed)
        {
            var temp = file + ".tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly }))
            {
                JsonSerializer.Serialize(stream, secrets);
            }

            File.Move(temp, file, overwrite: true);
        }
    }

    public static void WriteOwnerOnly(string path, string content)
    {
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnly });
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    public void Dispose() => lockFile.Dispose();

    // Letters and digits only: safe unescaped in connection strings, URIs and config files.
    private static string Generate(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
}
