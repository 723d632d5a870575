using System.Diagnostics;
using System.Runtime.InteropServices;
using Platform.Hosting.Testing;

namespace Platform.Storage.Tests.Infrastructure;

/// <summary>
/// A private SoftHSM2 token for one test run: Debian's <c>softhsm2</c> package, installed with apt-get when missing
/// (by the AppHost's own PackageInstaller, through <see cref="DebianPackages"/>), and a token directory with its own SOFTHSM2_CONF in a
/// temporary folder, so nothing touches the machine's own tokens.
/// </summary>
public sealed partial class SoftHsm : IDisposable
{
    public const string TokenLabel = "platform-test";
    public const string UserPin = "5678-test-pin";
    private const string SecurityOfficerPin = "1234-so-pin";
    private static readonly string[] libraryCandidates =
        ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"];

    private SoftHsm(string directory, string libraryPath)
    {
        Directory = directory;
        LibraryPath = libraryPath;
    }

    public string Directory { get; }

    public string LibraryPath { get; }

    public static async Task<SoftHsm> CreateAsync()
    {
        await EnsureInstalledAsync();
        var library = libraryCandidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("libsofthsm2.so is not where Debian puts it.");
        var directory = Path.Combine(Path.GetTempPath(), $"platform-softhsm-{Guid.NewGuid():n}");
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "tokens"));
        var configuration = Path.Combine(directory, "softhsm2.conf");
        await File.WriteAllTextAsync(configuration, $"directories.tokendir = {Path.Combine(directory, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");

        // The library reads SOFTHSM2_CONF from the native environment when it is initialized, which
        // Environment.SetEnvironmentVariable does not change on Unix.
        if (SetEnvironment("SOFTHSM2_CONF", configuration, 1) != 0) throw new InvalidOperationException("setenv failed.");
        await RunAsync("softhsm2-util", configuration, "--init-token", "--free", "--label", TokenLabel, "--so-pin", SecurityOfficerPin, "--pin", UserPin);
        return new SoftHsm(directory, library);
    }

    /// <summary>Through the harness's installer, which takes turns with every other process installing packages.</summary>
    private static async Task EnsureInstalledAsync()
    {
        await DebianPackages.EnsureAsync("softhsm2", ["softhsm2-util"]);
        if (!libraryCandidates.Any(File.Exists)) throw new InvalidOperationException("softhsm2 is installed but libsofthsm2.so is not where Debian puts it.");
    }

    private static async Task RunAsync(string program, string configuration, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["SOFTHSM2_CONF"] = configuration;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed: {await output} {await error}");
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
