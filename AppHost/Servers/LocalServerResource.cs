namespace Platform.AppHost.Servers;

/// <summary>
/// A server Aspire runs as a local process from Debian's packages (no container engine here): its program is found,
/// or its package installed, just before the app starts (<see cref="LocalServerExtensions"/>).
/// </summary>
public abstract class LocalServerResource(string name, string workingDirectory)
    : ExecutableResource(name, "/bin/false", workingDirectory)
{
    /// <summary>The packages this server needs, each with the programs that show it is there.</summary>
    public abstract IReadOnlyList<RequiredPackage> Packages { get; }

    /// <summary>The program DCP starts, once the packages are there.</summary>
    public abstract string ResolveCommand();
}
