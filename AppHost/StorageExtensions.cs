using Platform.Hosting;

namespace Platform.AppHost;

internal static class StorageExtensions
{
    /// <summary>
    /// Where the storage service keeps encrypted blobs: in the state folder locally, on a volume (the default path in
    /// the service's appsettings) when deployed; likewise the file root key provider's organization keys (deployed, an
    /// HSM holds those).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLocalBlobRoot(this IResourceBuilder<ProjectResource> builder) =>
        builder.WithEnvironment(context =>
        {
            if (!context.ExecutionContext.IsRunMode) return;
            var blobs = Path.Combine(context.ExecutionContext.StateDirectory, builder.Resource.Name, "blobs");
            context.EnvironmentVariables["Storage__BlobRoot"] = ReferenceExpression.Literal(blobs);
            // The development root key provider's per-organization keys: beside, not inside, the blobs and database.
            var organizationKeys = Path.Combine(context.ExecutionContext.StateDirectory, builder.Resource.Name, "organization-keys");
            context.EnvironmentVariables["Storage__RootKey__OrganizationKeyFolder"] = ReferenceExpression.Literal(organizationKeys);
        });
}
