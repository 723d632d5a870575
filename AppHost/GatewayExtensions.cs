using Platform.Hosting;

namespace Platform.AppHost;

internal static class GatewayExtensions
{
    /// <summary>
    /// Locally the gateway listens on both loopbacks (127.0.0.1 and ::1) with a development certificate it makes on first run and keeps in
    /// the state folder; a deployment mounts a real certificate instead, so none of this reaches the manifest.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLocalDevelopmentCertificate(this IResourceBuilder<ProjectResource> builder) =>
        builder.WithEnvironment(context =>
        {
            if (!context.ExecutionContext.IsRunMode) return;
            var certificate = Path.Combine(context.ExecutionContext.StateDirectory, builder.Resource.Name, "development-certificate.pfx");
            context.EnvironmentVariables["Gateway__DevelopmentCertificatePath"] = ReferenceExpression.Literal(certificate);
            context.EnvironmentVariables["Gateway__BindAddress"] = ReferenceExpression.Literal("localhost");
        });

    /// <summary>The gateway's audit spool: in the state folder locally, on a volume (the default path) when deployed.</summary>
    public static IResourceBuilder<ProjectResource> WithLocalAuditSpool(this IResourceBuilder<ProjectResource> builder) =>
        builder.WithEnvironment(context =>
        {
            if (!context.ExecutionContext.IsRunMode) return;
            var spool = Path.Combine(context.ExecutionContext.StateDirectory, builder.Resource.Name, "audit-spool");
            context.EnvironmentVariables["Gateway__Audit__SpoolDirectory"] = ReferenceExpression.Literal(spool);
        });
}
