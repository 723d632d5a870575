using Platform.AppHost.Servers;

namespace Platform.Hosting.Testing;

/// <summary>
/// Tools that tests drive (testssl.sh, wrk, SoftHSM, Chromium…), installed with apt-get when missing, exactly as the
/// AppHost installs its servers: the test command works on a fresh Debian machine with only the .NET SDK.
/// </summary>
public static class DebianPackages
{
    /// <summary>
    /// Every tool the test projects drive. The first test that needs one of them installs all that are missing in one
    /// apt-get run: each run pays apt's start and dpkg's triggers (man-db, icon caches…) again, which cost a fresh
    /// machine's suite about half a minute when the tools came one project at a time.
    /// </summary>
    private static readonly RequiredPackage[] suiteTools =
    [
        new("chromium", "chromium"),
        new("testssl.sh", "testssl"),
        new("xmlsec1", "xmlsec1"),
        new("syslog-ng-core", "syslog-ng"),
        new("softhsm2", "softhsm2-util"),
    ];

    /// <summary>
    /// Installs <paramref name="package"/> unless all of <paramref name="programs"/> are found (with the suite's other
    /// missing tools when it is one of them); returns the first program's path.
    /// </summary>
    public static async Task<string> EnsureAsync(string package, string[] programs, CancellationToken cancellationToken = default)
    {
        var required = new List<(string, RequiredPackage)> { ("tests", new RequiredPackage(package, programs)) };
        if (suiteTools.Any(t => t.Name == package)) required.AddRange(suiteTools.Where(t => t.Name != package).Select(t => ("the test suite", t)));

        // The installer takes turns with every other process that installs (AppHosts, other test assemblies).
        var output = new InstallerOutput(line => Console.WriteLine(line), line => Console.WriteLine($"[apt-get] {line}"));
        await new PackageInstaller(output).EnsureAsync(required, cancellationToken);
        return PackageInstaller.FindProgram(programs[0]) ?? throw new InvalidOperationException($"{programs[0]} is not found after installing {package}.");
    }
}
