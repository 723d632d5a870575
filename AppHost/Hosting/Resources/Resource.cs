namespace Platform.Hosting;

/// <summary>Something the app model starts or describes: a server, a database, a project, a parameter.</summary>
public abstract class Resource(string name)
{
    public string Name { get; } = ResourceNames.Validate(name);

    public List<EndpointAnnotation> Endpoints { get; } = [];

    /// <summary>Resources that must be healthy before this one starts (<c>WaitFor</c>).</summary>
    public List<Resource> WaitsFor { get; } = [];

    /// <summary>Resources whose connection information this one receives (<c>WithReference</c>).</summary>
    public List<Resource> References { get; } = [];

    public EndpointAnnotation GetEndpoint(string endpointName) =>
        Endpoints.FirstOrDefault(e => e.Name == endpointName)
        ?? throw new InvalidOperationException($"Resource '{Name}' has no endpoint named '{endpointName}'.");

    public override string ToString() => Name;
}

/// <summary>A resource that other resources reach through a connection string (<c>ConnectionStrings__name</c>).</summary>
public interface IResourceWithConnectionString
{
    string Name { get; }

    ReferenceExpression ConnectionStringExpression { get; }
}

/// <summary>A resource that lives inside another one, such as a database inside a server.</summary>
public interface IResourceWithParent
{
    Resource Parent { get; }
}

internal static class ResourceNames
{
    // Aspire's rule: letters, digits and hyphens, starting with a letter; they become DNS labels in deployment.
    public static string Validate(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !char.IsAsciiLetter(name[0])
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') || name.EndsWith('-') || name.Contains("--", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid resource name: use ASCII letters, digits and single hyphens, starting with a letter, at most 64 characters.", nameof(name));
        }

        return name;
    }
}
