using Platform.Hosting;
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
