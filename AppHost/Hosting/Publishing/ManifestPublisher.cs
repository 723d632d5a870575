using System.Text;
using System.Text.Json;

namespace Platform.Hosting.Publishing;

/// <summary>
/// Writes the app model in Aspire's manifest format (https://aka.ms/aspire/manifest): servers as
/// <c>container.v0</c> with their official images, databases as <c>value.v0</c>, projects as <c>project.v0</c>
/// and generated secrets as <c>parameter.v0</c> inputs. Paths are relative to the manifest's folder.
/// </summary>
internal static class ManifestPublisher
{
    public static string Write(DistributedApplicationBuilder builder, string outputPath)
    {
        var path = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, outputPath));
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        File.WriteAllText(path, Render(builder, directory));
        return path;
    }

    public static string Render(DistributedApplicationBuilder builder, string manifestDirectory)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("$schema", "https://json.schemastore.org/aspire-8.0.json");
            writer.WriteStartObject("resources");
            foreach (var resource in builder.Resources)
            {
                writer.WriteStartObject(resource.Name);
                switch (resource)
                {
                    case ContainerResource container: WriteContainer(writer, container); break;
                    case PostgresDatabaseResource database: WriteValue(writer, database); break;
                    case ParameterResource parameter: WriteParameter(writer, parameter); break;
                    case ProjectResource project: WriteProject(writer, project, builder.ExecutionContext, manifestDirectory); break;
                    default: throw new InvalidOperationException($"{resource.Name}: {resource.GetType().Name} has no manifest form.");
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    private static void WriteContainer(Utf8JsonWriter writer, ContainerResource container)
    {
        writer.WriteString("type", "container.v0");
        if (container is IResourceWithConnectionString withConnectionString)
        {
            writer.WriteString("connectionString", withConnectionString.ConnectionStringExpression.ValueExpression);
        }

        writer.WriteString("image", container.Image);
        if (container.Entrypoint is { } entrypoint) writer.WriteString("entrypoint", entrypoint);
        if (container.Args.Count > 0)
        {
            writer.WriteStartArray("args");
            foreach (var arg in container.Args) writer.WriteStringValue(arg);
            writer.WriteEndArray();
        }

        WriteEnvironment(writer, container.ContainerEnvironment);
        WriteBindings(writer, container);
    }

    private static void WriteValue(Utf8JsonWriter writer, PostgresDatabaseResource database)
    {
        writer.WriteString("type", "value.v0");
        writer.WriteString("connectionString", database.ConnectionStringExpression.ValueExpression);
    }

    private static void WriteParameter(Utf8JsonWriter writer, ParameterResource parameter)
    {
        writer.WriteString("type", "parameter.v0");
        writer.WriteString("value", $"{{{parameter.Name}.inputs.value}}");
        writer.WriteStartObject("inputs");
        writer.WriteStartObject("value");
        writer.WriteString("type", "string");
        if (parameter.Secret) writer.WriteBoolean("secret", true);
        writer.WriteStartObject("default");
        writer.WriteStartObject("generate");
        writer.WriteNumber("minLength", parameter.GenerateMinLength);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteProject(Utf8JsonWriter writer, ProjectResource project, DistributedApplicationExecutionContext execution, string manifestDirectory)
    {
        writer.WriteString("type", "project.v0");
        writer.WriteString("path", Path.GetRelativePath(manifestDirectory, project.ProjectPath).Replace('\\', '/'));
        WriteEnvironment(writer, ProjectEnvironment.Build(project, execution));
        WriteBindings(writer, project);
    }

    private static void WriteEnvironment(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, IValueReference>> environment)
    {
        var list = environment.ToList();
        if (list.Count == 0) return;
        writer.WriteStartObject("env");
        foreach (var (name, value) in list) writer.WriteString(name, value.ValueExpression);
        writer.WriteEndObject();
    }

    private static void WriteBindings(Utf8JsonWriter writer, Resource resource)
    {
        if (resource.Endpoints.Count == 0) return;
        writer.WriteStartObject("bindings");
        foreach (var endpoint in resource.Endpoints)
        {
            writer.WriteStartObject(endpoint.Name);
            writer.WriteString("scheme", endpoint.Scheme);
            writer.WriteString("protocol", "tcp");
            writer.WriteString("transport", endpoint.Transport);
            if (endpoint.Port is { } port) writer.WriteNumber("port", port);
            if (endpoint.TargetPort is { } targetPort) writer.WriteNumber("targetPort", targetPort);
            if (endpoint.IsExternal) writer.WriteBoolean("external", true);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }
}
