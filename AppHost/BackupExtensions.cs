using Platform.AppHost.Servers;

namespace Platform.AppHost;

internal static class BackupExtensions
{
    /// <summary>
    /// Retention's backups (issue 16 item 3) of every database and every region's blob root, into the state folder, when
    /// the servers run as Debian's programs: then PostgreSQL's own pg_dump and pg_restore are on this machine. Backup
    /// sets are encrypted and signed with generated keys; one backup operator (generated token, loopback only) may take,
    /// verify and restore them, on retention's own endpoint (the gateway has no route to backups). With containers the
    /// host may have no pg_dump of the server's version, and a deployment names its own folder, keys and operators: both
    /// leave backups off (the endpoints answer 503 <c>backups-not-configured</c>), as the manifest does.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithLocalBackups(this IResourceBuilder<ProjectResource> retention,
        IEnumerable<IResourceBuilder<IResourceWithConnectionString>> databases,
        IEnumerable<(IResourceBuilder<ProjectResource> Storage, IResourceBuilder<IResourceWithConnectionString> Database)> blobRoots,
        (IResourceBuilder<IResourceWithConnectionString> Database, IResourceBuilder<IResourceWithConnectionString> TransitKeys)? transitSealed = null)
    {
        var builder = retention.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode || ServerModes.Resolve(builder) != ServerMode.Processes) return retention;

        var key = builder.AddGeneratedSecret("backup-key", 44);
        var signingKey = builder.AddGeneratedSecret("backup-signing-key", 44);
        var operatorToken = builder.AddGeneratedSecret("backup-operator-token", 40);
        retention
            .WithEnvironment("Retention__Backups__Folder", Path.Combine(StateFolder.For(builder).ResourceDirectory(retention.Resource.Name), "backups"))
            .WithEnvironment("Retention__Backups__Key", key)
            .WithEnvironment("Retention__Backups__SigningKey", signingKey)
            .WithEnvironment("Retention__Backups__Operators__0__Name", "backup-operator")
            .WithEnvironment("Retention__Backups__Operators__0__Token", operatorToken)
            .WithEnvironment("Retention__Backups__Operators__0__Restore", "true");

        var index = 0;
        // Each file of a set is named for its database resource (identitydb, storageusdb, …) or blob root (storage-us, …).
        foreach (var database in databases)
        {
            retention
                .WithEnvironment($"Retention__Backups__Databases__{index}__Name", database.Resource.Name)
                .WithEnvironment($"Retention__Backups__Databases__{index}__ConnectionString", database);
            // Keys' secrets are sealed by the default region's transit keys: a restore drops those whose version is destroyed.
            if (transitSealed is { } sealedBy && sealedBy.Database.Resource == database.Resource)
            {
                retention.WithEnvironment($"Retention__Backups__Databases__{index}__TransitKeys", sealedBy.TransitKeys.Resource.Name);
            }

            index++;
        }

        index = 0;
        foreach (var (storage, database) in blobRoots)
        {
            retention
                .WithEnvironment($"Retention__Backups__BlobRoots__{index}__Name", storage.Resource.Name)
                .WithEnvironment($"Retention__Backups__BlobRoots__{index}__Path", StorageExtensions.LocalBlobRoot(storage))
                .WithEnvironment($"Retention__Backups__BlobRoots__{index}__Database", database.Resource.Name);
            index++;
        }

        return retention;
    }
}
