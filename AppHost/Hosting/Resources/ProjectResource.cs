namespace Platform.Hosting;

/// <summary>A .NET project of this repository, run from its build output (<c>project.v0</c>).</summary>
public sealed class ProjectResource(string name, string projectPath) : Resource(name)
{
    /// <summary>Absolute path of the .csproj.</summary>
    public string ProjectPath { get; } = projectPath;

    public int Replicas { get; set; } = 1;

    public (string Path, string EndpointName)? HealthCheck { get; set; }

    public List<KeyValuePair<string, IValueReference>> Environment { get; } = [];

    public List<Action<EnvironmentCallbackContext>> EnvironmentCallbacks { get; } = [];
}

/// <summary>Lets a resource add environment variables that depend on how the model is being executed.</summary>
public sealed class EnvironmentCallbackContext(DistributedApplicationExecutionContext executionContext, IDictionary<string, IValueReference> environment)
{
    public DistributedApplicationExecutionContext ExecutionContext { get; } = executionContext;

    public IDictionary<string, IValueReference> EnvironmentVariables { get; } = environment;
}

public sealed class DistributedApplicationExecutionContext(bool isPublishMode, string stateDirectory)
{
    public bool IsPublishMode { get; } = isPublishMode;

    public bool IsRunMode => !IsPublishMode;

    /// <summary>The git-ignored folder that holds local data, secrets and certificates in run mode.</summary>
    public string StateDirectory { get; } = stateDirectory;
}
