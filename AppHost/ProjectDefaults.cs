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
}
