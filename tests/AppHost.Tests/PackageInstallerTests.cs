using Platform.Hosting.Orchestration;

namespace Platform.AppHost.Tests;

public sealed class PackageInstallerTests
{
    [Fact]
    public async Task A_package_that_cannot_be_installed_stops_start_up_naming_the_resource_and_the_package()
    {
        var installer = new PackageInstaller(new ResourceOutput((_, _) => { }));

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(
            () => installer.EnsureAsync([new MadeUpServer()], CancellationToken.None));

        Assert.Contains("madeup needs platform-no-such-package", error.Message);
    }

    [Fact]
    public async Task Installed_packages_are_found_without_calling_apt()
    {
        var lines = new List<string>();
        var installer = new PackageInstaller(new ResourceOutput((resource, line) => lines.Add($"{resource}: {line}")));

        await installer.EnsureAsync([new InstalledServer()], CancellationToken.None);

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
            var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var installer = new PackageInstaller(new ResourceOutput((_, line) =>
            {
                lines.Enqueue(line);
                if (line.Contains("waiting", StringComparison.Ordinal)) waiting.TrySetResult();
            }), lockPath);

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

    private sealed class MadeUpServer() : ContainerResource("madeup")
    {
        public override string Image => "example.invalid/madeup:1";

        public override IReadOnlyList<KeyValuePair<string, IValueReference>> ContainerEnvironment => [];

        public override IReadOnlyList<RequiredPackage> Packages => [new("platform-no-such-package", "platform-no-such-program")];
    }

    private sealed class InstalledServer() : ContainerResource("shell")
    {
        public override string Image => "example.invalid/shell:1";

        public override IReadOnlyList<KeyValuePair<string, IValueReference>> ContainerEnvironment => [];

        public override IReadOnlyList<RequiredPackage> Packages => [new("bash", "bash")];
    }
}
