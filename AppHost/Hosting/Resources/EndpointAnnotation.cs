namespace Platform.Hosting;

/// <summary>A network endpoint of a resource, as Aspire's <c>EndpointAnnotation</c> describes it.</summary>
public sealed class EndpointAnnotation(Resource resource, string name, string scheme, string transport)
{
    public Resource Resource { get; } = resource;

    public string Name { get; } = name;

    /// <summary><c>tcp</c>, <c>http</c> or <c>https</c>.</summary>
    public string Scheme { get; } = scheme;

    /// <summary><c>tcp</c> or <c>http</c>.</summary>
    public string Transport { get; } = transport;

    /// <summary>The port clients use; null lets the orchestrator choose a free one.</summary>
    public int? Port { get; set; }

    /// <summary>The port the process listens on in a deployment (the container port).</summary>
    public int? TargetPort { get; set; }

    /// <summary>An environment variable that receives the port the process must listen on.</summary>
    public string? EnvironmentVariable { get; set; }

    public bool IsExternal { get; set; }

    /// <summary>Ports allocated at run time, one per replica.</summary>
    public List<int> AllocatedPorts { get; } = [];

    public string Host => "127.0.0.1";

    public int AllocatedPort(int replica = 0) =>
        replica < AllocatedPorts.Count
            ? AllocatedPorts[replica]
            : throw new InvalidOperationException($"Endpoint '{Resource.Name}/{Name}' has no port allocated yet.");

    public Uri Url(int replica = 0) => new($"{Scheme}://{Host}:{AllocatedPort(replica)}");

    public EndpointReference Property(EndpointProperty property) => new(this, property);
}

public enum EndpointProperty
{
    Host,
    Port,
    TargetPort,
    Url,
}

/// <summary>One property of an endpoint: <c>{name.bindings.endpoint.port}</c> in the manifest.</summary>
public sealed class EndpointReference(EndpointAnnotation endpoint, EndpointProperty property) : IValueReference
{
    public string ValueExpression =>
        $"{{{endpoint.Resource.Name}.bindings.{endpoint.Name}.{property.ToString().ToLowerInvariant() switch { "targetport" => "targetPort", var p => p }}}}";

    public string GetValue() => property switch
    {
        EndpointProperty.Host => endpoint.Host,
        EndpointProperty.Port or EndpointProperty.TargetPort => endpoint.AllocatedPort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => endpoint.Url().ToString().TrimEnd('/'),
    };
}
