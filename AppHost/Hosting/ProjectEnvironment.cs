namespace Platform.Hosting;

/// <summary>
/// The environment a project receives, in Aspire's conventions. Built once from the model and rendered either as
/// manifest expressions or as concrete values, so the manifest and a local run always agree.
/// </summary>
internal static class ProjectEnvironment
{
    public static List<KeyValuePair<string, IValueReference>> Build(ProjectResource project, DistributedApplicationExecutionContext execution)
    {
        var environment = new Dictionary<string, IValueReference>(StringComparer.Ordinal)
        {
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EXCEPTION_LOG_ATTRIBUTES"] = ReferenceExpression.Literal("true"),
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_EMIT_EVENT_LOG_ATTRIBUTES"] = ReferenceExpression.Literal("true"),
            ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = ReferenceExpression.Literal("in_memory"),
        };

        foreach (var endpoint in project.Endpoints.Where(e => e.EnvironmentVariable is not null))
        {
            environment[endpoint.EnvironmentVariable!] = endpoint.Property(EndpointProperty.TargetPort);
        }

        // Endpoints without their own variable are Kestrel's: HTTP_PORTS / HTTPS_PORTS in a container.
        foreach (var scheme in new[] { "http", "https" })
        {
            var ports = project.Endpoints.Where(e => e.EnvironmentVariable is null && e.Scheme == scheme).ToList();
            if (ports.Count > 0)
            {
                environment[$"{scheme.ToUpperInvariant()}_PORTS"] = new JoinedReference(ports.Select(e => (IValueReference)e.Property(EndpointProperty.TargetPort)).ToList(), ";");
            }
        }

        foreach (var reference in project.References)
        {
            switch (reference)
            {
                case IResourceWithConnectionString withConnectionString:
                    environment[$"ConnectionStrings__{reference.Name}"] = new ConnectionStringReference(withConnectionString);
                    break;
                case ProjectResource other:
                    foreach (var endpoint in other.Endpoints)
                    {
                        environment[$"services__{other.Name}__{endpoint.Name}__0"] = endpoint.Property(EndpointProperty.Url);
                    }

                    break;
            }
        }

        foreach (var (name, value) in project.Environment) environment[name] = value;
        var context = new EnvironmentCallbackContext(execution, environment);
        foreach (var callback in project.EnvironmentCallbacks) callback(context);
        return [.. environment];
    }

    private sealed class JoinedReference(IReadOnlyList<IValueReference> values, string separator) : IValueReference
    {
        public string ValueExpression => string.Join(separator, values.Select(v => v.ValueExpression));

        public string GetValue() => string.Join(separator, values.Select(v => v.GetValue()));
    }
}
