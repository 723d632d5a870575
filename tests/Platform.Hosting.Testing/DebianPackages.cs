using Platform.AppHost.Servers;

namespace Platform.Hosting.Testing;

/// <summary>
/// Tools that tests drive (testssl.sh, wrk, SoftHSM, Chromium…), installed with apt-get when missing, exactly as the
/// AppHost installs its servers: the test command works on a fresh Debian machine with only the .NET SDK.
/// </summary>
public static class DebianPackages
{
    /// <summary>Installs <paramref name="package"/> unless all of <paramref name="programs"/> are found; returns the first program's path.</summary>
    public static async Task<string> EnsureAsync(string package, string[] programs, CancellationToken cancellationToken = default)
    {
        // The installer takes turns with every other process that installs (AppHosts, other test assemblies).
        var output = new InstallerOutput(line => Console.WriteLine(line), line => Console.WriteLine($"[apt-get] {line}"));
        await new PackageInstaller(output).EnsureAsync([("tests", new RequiredPackage(package, programs))], cancellationToken);
        return PackageInstaller.FindProgram(programs[0]) ?? throw new InvalidOperationException($"{programs[0]} is not found after installing {package}.");
    }
}
