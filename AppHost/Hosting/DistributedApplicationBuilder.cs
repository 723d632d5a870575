using System.Reflection;

namespace Platform.Hosting;

public interface IResourceBuilder<out T> where T : Resource
{
    T Resource { get; }

    DistributedApplicationBuilder ApplicationBuilder { get; }
}

internal sealed class ResourceBuilder<T>(T resource, DistributedApplicationBuilder builder) : IResourceBuilder<T> where T : Resource
{
    public T Resource { get; } = resource;

    public DistributedApplicationBuilder ApplicationBuilder { get; } = builder;
}

/// <summary>Collects the app model, as Aspire's <c>IDistributedApplicationBuilder</c> does.</summary>
public sealed class DistributedApplicationBuilder
{
    internal DistributedApplicationBuilder(AppHostOptions options)
    {
        Options = options;
        AppHostDirectory = options.AppHostDirectory ?? FindAppHostDirectory();
        var stateDirectory = Path.GetFullPath(options.StateDirectory ?? Path.Combine(AppHostDirectory, ".state"));
        ExecutionContext = new DistributedApplicationExecutionContext(options.Publisher is not null, stateDirectory);
    }

    public AppHostOptions Options { get; }

    public string AppHostDirectory { get; }

    public DistributedApplicationExecutionContext ExecutionContext { get; }

    public List<Resource> Resources { get; } = [];

    public IResourceBuilder<T> AddResource<T>(T resource) where T : Resource
    {
        if (Resources.Any(r => string.Equals(r.Name, resource.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists in the app model.");
        }

        Resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    public IResourceBuilder<ParameterResource> AddParameter(string name, bool secret = false, int generateMinLength = 22) =>
        AddResource(new ParameterResource(name, secret, generateMinLength));

    public DistributedApplication Build()
    {
        DistributedApplicationHooks.OnBuilding(this);
        return BuildCore();
    }

    internal DistributedApplication BuildCore() => new(this);

    private static string FindAppHostDirectory() =>
        typeof(DistributedApplicationBuilder).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "AppHostProjectDirectory")?.Value
        ?? AppContext.BaseDirectory;
}

/// <summary>
/// Lets the test harness run the AppHost's own Program.cs and take the model it builds, the way
/// Aspire.Hosting.Testing does, instead of keeping a second copy of the model for tests.
/// </summary>
internal static class DistributedApplicationHooks
{
    private static readonly AsyncLocal<Hooks?> current = new();

    public static Hooks? Current { get => current.Value; set => current.Value = value; }

    public static void OnCreating(AppHostOptions options) => Current?.Creating?.Invoke(options);

    public static void OnBuilding(DistributedApplicationBuilder builder)
    {
        if (Current?.Building is { } building)
        {
            building(builder);
            throw new EntryPointCapturedException();
        }
    }

    internal sealed record Hooks(Action<AppHostOptions>? Creating, Action<DistributedApplicationBuilder>? Building);

    /// <summary>Stops the entry point once the harness has the model; it never escapes to a user.</summary>
    internal sealed class EntryPointCapturedException() : Exception("The app model was captured by the test harness.");
}
