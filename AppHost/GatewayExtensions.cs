using Platform.AppHost.Servers;

namespace Platform.AppHost;

internal static class GatewayExtensions
{
    /// <summary>
    /// Locally the gateway listens on both loopbacks (127.0.0.1 and ::1) with a development certificate it makes on first run and keeps in
    /// the state folder; a deployment mounts a real certificate instead, so none of this reaches the manifest.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLocalDevelopmentCertificate(this IResourceBuilder<ProjectResource> builder)
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;
        var folder = StateFolder.For(builder.ApplicationBuilder).ResourceDirectory(builder.Resource.Name);
        return builder
            .WithEnvironment("Gateway__DevelopmentCertificatePath", Path.Combine(folder, "development-certificate.pfx"))
            .WithEnvironment("Gateway__BindAddress", "localhost");
    }

    /// <summary>
    /// Locally a project that calls the platform's public address (the console) trusts exactly the gateway's development
    /// certificate, pinned from the gateway's state folder; deployed, the gateway has a real certificate.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithGatewayCertificateTrust(this IResourceBuilder<ProjectResource> builder)
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;
        var folder = StateFolder.For(builder.ApplicationBuilder).ResourceDirectory("gateway");
        return builder.WithEnvironment("Console__GatewayCertificatePath", Path.Combine(folder, "development-certificate.pfx"));
    }

    /// <summary>The gateway's audit spool: in the state folder locally, on a volume (the default path) when deployed.</summary>
    public static IResourceBuilder<ProjectResource> WithLocalAuditSpool(this IResourceBuilder<ProjectResource> builder)
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;
        var folder = StateFolder.For(builder.ApplicationBuilder).ResourceDirectory(builder.Resource.Name);
        return builder.WithEnvironment("Gateway__Audit__SpoolDirectory", Path.Combine(folder, "audit-spool"));
    }
}
