namespace Platform.Hosting;

/// <summary>The app-model verbs, named and shaped as Aspire's.</summary>
public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddParameter($"{name}-password", secret: true).Resource;
        return builder.AddResource(new PostgresServerResource(name, password));
    }

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        server.Resource.Databases.Add(database);
        return server.ApplicationBuilder.AddResource(database);
    }

    public static IResourceBuilder<RedisResource> AddRedis(this DistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddParameter($"{name}-password", secret: true).Resource;
        return builder.AddResource(new RedisResource(name, password));
    }

    public static IResourceBuilder<RabbitMQServerResource> AddRabbitMQ(this DistributedApplicationBuilder builder, string name)
    {
        var password = builder.AddParameter($"{name}-password", secret: true).Resource;
        return builder.AddResource(new RabbitMQServerResource(name, password));
    }

    /// <param name="projectPath">Path of the .csproj, relative to the AppHost folder.</param>
    public static IResourceBuilder<ProjectResource> AddProject(this DistributedApplicationBuilder builder, string name, string projectPath)
    {
        var fullPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, projectPath));
        if (!File.Exists(fullPath))
        {
            throw new InvalidOperationException($"Project '{name}': '{fullPath}' does not exist.");
        }

        return builder.AddResource(new ProjectResource(name, fullPath));
    }

    public static IResourceBuilder<ProjectResource> WithReference<T>(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<T> source)
        where T : Resource
    {
        if (source.Resource is not IResourceWithConnectionString and not ProjectResource)
        {
            throw new InvalidOperationException($"'{source.Resource.Name}' has neither a connection string nor endpoints to reference.");
        }

        builder.Resource.References.Add(source.Resource);
        return builder;
    }

    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency) where T : Resource
    {
        if (ReferenceEquals(builder.Resource, dependency.Resource))
        {
            throw new InvalidOperationException($"'{builder.Resource.Name}' cannot wait for itself.");
        }

        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> builder, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        builder.Resource.Replicas = replicas;
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithHttpEndpoint(this IResourceBuilder<ProjectResource> builder, int? port = null, int? targetPort = null, string name = "http", string? env = null) =>
        builder.WithEndpoint(name, "http", port, targetPort, env);

    public static IResourceBuilder<ProjectResource> WithHttpsEndpoint(this IResourceBuilder<ProjectResource> builder, int? port = null, int? targetPort = null, string name = "https", string? env = null) =>
        builder.WithEndpoint(name, "https", port, targetPort, env);

    /// <summary>Marks the project's HTTP(S) endpoints as reachable from outside the deployment.</summary>
    public static IResourceBuilder<ProjectResource> WithExternalHttpEndpoints(this IResourceBuilder<ProjectResource> builder)
    {
        foreach (var endpoint in builder.Resource.Endpoints.Where(e => e.Scheme == "https"))
        {
            endpoint.IsExternal = true;
        }

        return builder;
    }

    /// <summary>The resource is healthy when this path answers 2xx on the named endpoint.</summary>
    public static IResourceBuilder<ProjectResource> WithHttpHealthCheck(this IResourceBuilder<ProjectResource> builder, string path, string endpointName)
    {
        builder.Resource.GetEndpoint(endpointName);
        builder.Resource.HealthCheck = (path, endpointName);
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, string value)
    {
        builder.Resource.Environment.Add(new(name, ReferenceExpression.Literal(value)));
        return builder;
    }

    /// <summary>An environment variable whose value is another resource's endpoint, parameter or expression.</summary>
    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, IValueReference value)
    {
        builder.Resource.Environment.Add(new(name, value));
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, IResourceBuilder<ParameterResource> parameter) =>
        builder.WithEnvironment(name, (IValueReference)parameter.Resource);

    /// <summary>The URL of one of the resource's endpoints: <c>{name.bindings.endpoint.url}</c> in the manifest.</summary>
    public static EndpointReference GetEndpoint<T>(this IResourceBuilder<T> builder, string endpointName) where T : Resource =>
        builder.Resource.GetEndpoint(endpointName).Property(EndpointProperty.Url);

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, Action<EnvironmentCallbackContext> callback)
    {
        builder.Resource.EnvironmentCallbacks.Add(callback);
        return builder;
    }

    private static IResourceBuilder<ProjectResource> WithEndpoint(this IResourceBuilder<ProjectResource> builder, string name, string scheme, int? port, int? targetPort, string? env)
    {
        if (builder.Resource.Endpoints.Any(e => e.Name == name))
        {
            throw new InvalidOperationException($"Resource '{builder.Resource.Name}' already has an endpoint named '{name}'.");
        }

        builder.Resource.Endpoints.Add(new EndpointAnnotation(builder.Resource, name, scheme, "http")
        {
            Port = port,
            TargetPort = targetPort,
            EnvironmentVariable = env,
        });
        return builder;
    }
}
