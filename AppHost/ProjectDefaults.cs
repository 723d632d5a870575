namespace Platform.AppHost;

internal static class ProjectDefaults
{
    /// <summary>
    /// Locally every project runs in the AppHost's environment (Development under <c>dotnet run</c>): development
    /// settings such as applying schema migrations on start. A deployment sets its own.
    /// </summary>
    public static IDistributedApplicationBuilder RunProjectsInAppHostEnvironment(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode) return builder;
        var environment = builder.Environment.EnvironmentName;
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            foreach (var project in @event.Model.Resources.OfType<ProjectResource>())
            {
                project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
                {
                    context.EnvironmentVariables.TryAdd("ASPNETCORE_ENVIRONMENT", environment);
                    context.EnvironmentVariables.TryAdd("DOTNET_ENVIRONMENT", environment);
                    // A service's last telemetry export must not hold its stop for OTLP's default 10 s when the
                    // dashboard has already stopped (Ctrl+C stops both).
                    context.EnvironmentVariables.TryAdd("OTEL_EXPORTER_OTLP_TIMEOUT", "1000");
                }));
            }

            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// Locally every project runs as its built program (<c>dotnet Platform.Keys.dll</c>, from the project's folder, as
    /// a deployment runs it) instead of Aspire's <c>dotnet run --project … --no-build</c>, whose MSBuild evaluation
    /// costs about two CPU-seconds on every start. <c>dotnet run --project AppHost</c> has just built them all; a
    /// project that is not built here keeps Aspire's way, which then says why it cannot run.
    /// </summary>
    public static IDistributedApplicationBuilder RunBuiltPrograms(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode) return builder;
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            foreach (var project in @event.Model.Resources.OfType<ProjectResource>())
            {
                var folder = Path.GetDirectoryName(project.GetProjectMetadata().ProjectPath)!;
                var output = Path.Combine(folder, "bin", configuration, "net10.0");
                var runtimeConfig = Directory.Exists(output) ? Directory.GetFiles(output, "*.runtimeconfig.json") : [];
                if (runtimeConfig.Length != 1) continue;
                var program = runtimeConfig[0][..^".runtimeconfig.json".Length] + ".dll";
                project.Annotations.Add(new ExecutableAnnotation { Command = "dotnet", WorkingDirectory = folder });
                // The program first, before any argument the model gave the project.
                project.Annotations.Add(new CommandLineArgsCallbackAnnotation(arguments => arguments.Insert(0, program)));
            }

            return Task.CompletedTask;
        });
        return builder;
    }
}
