namespace Platform.Hosting;

/// <summary>
/// A server that a deployment runs from an official container image (<c>container.v0</c>) and that the local
/// orchestrator runs as a private process from the distribution's package.
/// </summary>
public abstract class ContainerResource(string name) : Resource(name)
{
    public abstract string Image { get; }

    public virtual string? Entrypoint => null;

    public virtual IReadOnlyList<string> Args => [];

    /// <summary>The container's environment in a deployment.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, IValueReference>> ContainerEnvironment { get; }

    /// <summary>Debian packages that provide the server locally, with the programs each must provide.</summary>
    public abstract IReadOnlyList<RequiredPackage> Packages { get; }
}

/// <summary>A Debian package and the programs that show it is installed.</summary>
public sealed record RequiredPackage(string Name, params string[] Programs);
