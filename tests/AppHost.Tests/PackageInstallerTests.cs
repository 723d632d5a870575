using System.Collections.Concurrent;
using Aspire.Hosting;
using Platform.AppHost.Servers;

namespace Platform.AppHost.Tests;

public sealed class PackageInstallerTests
{
    private static readonly InstallerOutput quiet = new(_ => { }, _ => { });

    [Fact]
    public async Task A_package_apt_get_cannot_install_stops_start_up_naming_the_resource_and_the_package()
    {
        var installer = new PackageInstaller(quiet);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(
            () => installer.EnsureAsync([("madeup", new RequiredPackage("platform-no-such-package", "platform-no-such-program"))], CancellationToken.None));

        Assert.Contains("madeup needs platform-no-such-package", error.Message);
        Assert.Contains("'apt-get install platform-no-such-package' failed", error.Message);
    }

    [Fact]
    public async Task Without_apt_get_a_missing_package_is_named_with_what_to_install_by_hand()
    {
        var installer = new PackageInstaller(quiet) { OsReleasePath = "/nonexistent/os-release" };

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(
            () => installer.EnsureAsync([("madeup", new RequiredPackage("platform-no-such-package", "platform-no-such-program"))], CancellationToken.None));

        Assert.Contains("madeup needs platform-no-such-package, and it is not installed", error.Message);
        Assert.Contains("Install platform-no-such-package with your system's package manager", error.Message);
        Assert.Contains("platform-no-such-program", error.Message);
    }

    [Fact]
    public async Task Installed_packages_are_found_without_calling_apt_get()
    {
        var lines = new List<string>();
        var installer = new PackageInstaller(new InstallerOutput(lines.Add, lines.Add));

        await installer.EnsureAsync([("shell", new RequiredPackage("bash", "bash"))], CancellationToken.None);

        Assert.Empty(lines);
    }

    [Fact]
    public async Task An_install_waits_for_another_process_installing_and_then_installs_only_what_is_still_missing()
    {
        var folder = Directory.CreateTempSubdirectory("platform-install-test").FullName;
        try
        {
            var lockPath = Path.Combine(folder, "install.lock");
            var program = Path.Combine(folder, "server-program");
            var lines = new ConcurrentQueue<string>();
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Record(string line)
            {
                lines.Enqueue(line);
                if (line.Contains("waiting", StringComparison.OrdinalIgnoreCase)) waiting.TrySetResult();
            }

            var installer = new PackageInstaller(new InstallerOutput(Record, Record), lockPath);

            // "Another process" holds the install lock (a second open file description: flock conflicts as across processes).
            var other = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            var install = installer.EnsureAsync([("server", new RequiredPackage("platform-no-such-package", program))], CancellationToken.None);
            await waiting.Task.WaitAsync(TimeSpan.FromSeconds(30));

            // The other process installs the program and releases the lock: ours finds it and runs no apt-get.
            await File.WriteAllTextAsync(program, "#!/bin/sh\n");
            other.Dispose();
            await install.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.DoesNotContain(lines, l => l.Contains("with apt-get", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_link_left_dangling_by_a_purged_package_is_not_taken_for_the_program()
    {
        var folder = Directory.CreateTempSubdirectory("platform-install-test").FullName;
        try
        {
            var link = Path.Combine(folder, "initdb");
            File.CreateSymbolicLink(link, Path.Combine(folder, "purged", "initdb"));
            Assert.Null(PackageInstaller.FindProgram(link));

            Directory.CreateDirectory(Path.Combine(folder, "purged"));
            File.WriteAllText(Path.Combine(folder, "purged", "initdb"), "#!/bin/sh\n");
            Assert.Equal(link, PackageInstaller.FindProgram(link));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
