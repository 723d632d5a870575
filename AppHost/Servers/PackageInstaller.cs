using System.Diagnostics;

namespace Platform.AppHost.Servers;

/// <summary>A Debian package and the programs that show it is installed.</summary>
public sealed record RequiredPackage(string Name, params string[] Programs);

/// <summary>Where the installer reports: a one-line status, and apt-get's own lines.</summary>
public sealed record InstallerOutput(Action<string> Info, Action<string> Line);

/// <summary>
/// Finds the server programs the app model needs and, on Debian or Ubuntu, installs the missing packages with
/// apt-get — showing apt's own progress — so that a fresh machine with only the .NET SDK can run the platform.
/// Services the packages would start system-wide are kept from starting (policy-rc.d): only private instances run.
/// </summary>
public sealed class PackageInstaller(InstallerOutput output, string? lockPath = null)
{
    /// <summary>The file whose lock makes installs take turns across processes.</summary>
    public static readonly string DefaultLockPath = Path.Combine(Path.GetTempPath(), "platform-package-install.lock");

    /// <summary>What tells Debian or Ubuntu (apt-get installs only there); a test points it elsewhere to be another system.</summary>
    internal string OsReleasePath { get; init; } = "/etc/os-release";

    private static readonly string[] extraSearchPaths = ["/usr/lib/rabbitmq/bin", "/usr/sbin", "/usr/bin", "/usr/local/bin"];

    /// <summary>Installs each package whose programs are not all found; <c>Who</c> names what needs it, for the messages.</summary>
    public async Task EnsureAsync(IEnumerable<(string Who, RequiredPackage Package)> required, CancellationToken cancellationToken)
    {
        var all = required.ToList();
        if (Missing(all).Count == 0) return;

        // Several AppHosts or test processes start at once on a fresh machine: one installs while the others wait,
        // then each looks again, so that nobody fights over apt's lock or installs what another just did.
        using var installLock = await InstallLock.AcquireAsync(lockPath ?? DefaultLockPath, output.Info, cancellationToken);
        var missing = Missing(all);
        if (missing.Count == 0) return;

        var packages = missing.Select(m => m.Package.Name).Distinct().ToArray();
        var who = string.Join(", ", missing.Select(m => $"{m.Resource} needs {m.Package.Name}").Distinct());
        if (!IsDebianLike())
        {
            throw new DistributedApplicationException(
                $"{who}, and it is not installed. Install {string.Join(" and ", packages)} with your system's package manager (it must provide {string.Join(", ", missing.SelectMany(m => m.Package.Programs).Distinct())}) and run again.");
        }

        if (!NativeMethods.IsRoot)
        {
            throw new DistributedApplicationException(
                $"{who}, and it is not installed. Run: sudo apt-get install -y {string.Join(' ', packages)}   (or start the AppHost as root once to install it).");
        }

        output.Info($"{who}: installing {string.Join(' ', packages)} with apt-get (this happens once)...");
        var policy = "/usr/sbin/policy-rc.d";
        var ownPolicy = !File.Exists(policy);
        if (ownPolicy)
        {
            // 101 = "action forbidden": the packages install without starting system-wide servers.
            await File.WriteAllTextAsync(policy, "#!/bin/sh\nexit 101\n", cancellationToken);
            File.SetUnixFileMode(policy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        try
        {
            // Emptied package lists (a fresh container or machine) know no package at all: refresh them first.
            if (!HasPackageLists() && await AptGetAsync(["update"], cancellationToken) != 0)
            {
                output.Info("apt-get update failed; trying the install with the lists there are.");
            }

            if (await AptGetAsync(["install", "-y", "--no-install-recommends", .. packages], cancellationToken) != 0)
            {
                output.Info("apt-get install failed; refreshing the package lists and trying once more.");
                if (await AptGetAsync(["update"], cancellationToken) != 0
                    || await AptGetAsync(["install", "-y", "--no-install-recommends", .. packages], cancellationToken) != 0)
                {
                    throw new DistributedApplicationException($"{who}: 'apt-get install {string.Join(' ', packages)}' failed; see apt-get's output above.");
                }
            }
        }
        finally
        {
            if (ownPolicy) File.Delete(policy);
        }

        foreach (var (resource, package) in missing)
        {
            if (package.Programs.FirstOrDefault(p => FindProgram(p) is null) is { } absent)
            {
                throw new DistributedApplicationException($"{resource}: {package.Name} was installed but '{absent}' is still not found.");
            }
        }
    }

    private static List<(string Resource, RequiredPackage Package)> Missing(List<(string Who, RequiredPackage Package)> required) =>
        required
            .Select(x => (Resource: x.Who, x.Package))
            .Where(x => !x.Package.Programs.All(program => FindProgram(program) is not null))
            .ToList();

    private static bool HasPackageLists() =>
        Directory.Exists("/var/lib/apt/lists") && Directory.EnumerateFiles("/var/lib/apt/lists", "*_Packages*").Any();

    /// <summary>A program on PATH or where Debian puts server binaries (PostgreSQL's are versioned, newest wins).</summary>
    public static string? FindProgram(string name)
    {
        var paths = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(extraSearchPaths);
        if (name is "initdb" or "postgres" or "pg_ctl")
        {
            var versioned = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0).Select(d => Path.Combine(d, "bin"))
                : [];
            paths = versioned.Concat(paths);
        }

        // Debian's /usr/sbin/rabbitmq-server and rabbitmqctl switch to the rabbitmq user (its cookie, its HOME); the scripts under /usr/lib run as we are.
        if (name is "rabbitmq-server" or "rabbitmqctl") paths = new[] { "/usr/lib/rabbitmq/bin" }.Concat(paths);

        return paths.Select(p => Path.Combine(p, name)).FirstOrDefault(IsProgram);
    }

    /// <summary>
    /// A file that is there, or a link that leads to one. A link left dangling (a machine's /usr/local/bin/initdb after
    /// PostgreSQL was purged) is no program: counting it would skip the install and fail later on the missing target.
    /// </summary>
    private static bool IsProgram(string path)
    {
        var file = new FileInfo(path);
        return file.Exists && (file.LinkTarget is null || file.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true });
    }

    private bool IsDebianLike()
    {
        if (!File.Exists(OsReleasePath) || FindProgram("apt-get") is null) return false;
        var text = File.ReadAllText(OsReleasePath);
        return text.Contains("debian", StringComparison.OrdinalIgnoreCase) || text.Contains("ubuntu", StringComparison.OrdinalIgnoreCase);
    }

    private async Task<int> AptGetAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Wait for dpkg's lock held by another program (a user's apt, unattended-upgrades) instead of failing at once.
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("DPkg::Lock::Timeout=600");
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Line(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Line(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode;
    }
}
