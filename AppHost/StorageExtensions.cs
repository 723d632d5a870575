using Platform.AppHost.Servers;

namespace Platform.AppHost;

internal static class StorageExtensions
{
    /// <summary>
    /// Where the storage service keeps encrypted blobs: in the state folder locally, on a volume (the default path in
    /// the service's appsettings) when deployed; likewise the file root key provider's organization keys (deployed, an
    /// HSM holds those).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLocalBlobRoot(this IResourceBuilder<ProjectResource> builder)
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;
        var folder = StateFolder.For(builder.ApplicationBuilder).ResourceDirectory(builder.Resource.Name);
        return builder
            .WithEnvironment("Storage__BlobRoot", LocalBlobRoot(builder))
            // The development root key provider's per-organization keys: beside, not inside, the blobs and database.
            .WithEnvironment("Storage__RootKey__OrganizationKeyFolder", Path.Combine(folder, "organization-keys"));
    }

    /// <summary>The blob root of a storage resource in run mode (in the state folder), as <see cref="WithLocalBlobRoot"/> sets it.</summary>
    public static string LocalBlobRoot(IResourceBuilder<ProjectResource> storage) =>
        Path.Combine(StateFolder.For(storage.ApplicationBuilder).ResourceDirectory(storage.Resource.Name), "blobs");
}
