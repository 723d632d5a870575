namespace Platform.AppHost;

/// <summary>The per-region storage deployments and how the other resources reach them (SPEC RES-REGION, GW-ROUTE).</summary>
internal static class RegionalStorage
{
    /// <summary>The storage of <paramref name="region"/>: its own database, blob root and root key (so organization keys).</summary>
    public static IResourceBuilder<ProjectResource> AddRegionalStorage(this IDistributedApplicationBuilder builder, StorageRegion region,
        IResourceBuilder<IResourceWithConnectionString> database, IResourceBuilder<IResourceWithConnectionString> messaging,
        IResourceBuilder<ParameterResource> serviceToken, IResourceBuilder<ParameterResource> gatewaySigningKey)
    {
        // The development root key material (base64 of 33 bytes; the key-file provider is refused outside Development,
        // where an HSM holds each region's root over PKCS#11): one per region.
        var rootKey = builder.AddGeneratedSecret($"{region.Resource}-root-key", 44);
        return builder.AddProject<Projects.Storage>(region.Resource)
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health", endpointName: "http")
            .WithReference(database, connectionName: "storagedb").WaitFor(database)
            .WithReference(messaging).WaitFor(messaging)
            .WithLocalBlobRoot()
            .WithEnvironment("Storage__Region", region.Id)
            .WithEnvironment("Storage__RootKey__Provider", "File")
            .WithEnvironment("Storage__RootKey__Key", rootKey)
            .WithEnvironment("Storage__ServiceTokens__0__Name", "operator")
            .WithEnvironment("Storage__ServiceTokens__0__Token", serviceToken)
            .WithEnvironment("Storage__ServiceTokens__0__Organizations__0", "*")
            .WithEnvironment("GatewaySigning__Key", gatewaySigningKey);
    }

    /// <summary>The storage that serves transit encryption, as <c>storage</c> in the service's discovery.</summary>
    public static IResourceBuilder<ProjectResource> WithTransitStorage(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ProjectResource> storage) =>
        builder.WithReference(storage).WithEnvironment("services__storage__http__0", storage.GetEndpoint("http"));

    public static IResourceBuilder<ProjectResource> WithReferences(this IResourceBuilder<ProjectResource> builder, IEnumerable<IResourceBuilder<ProjectResource>> others)
    {
        foreach (var other in others) builder.WithReference(other);
        return builder;
    }

    /// <summary>The registry of regions (<c>Residency:Regions</c>) with the storage endpoint serving each.</summary>
    public static IResourceBuilder<ProjectResource> WithRegionRegistry(this IResourceBuilder<ProjectResource> builder,
        IReadOnlyList<StorageRegion> regions, IReadOnlyDictionary<string, IResourceBuilder<ProjectResource>> storages)
    {
        builder.WithEnvironment("Residency__DefaultRegion", StorageRegions.Default);
        for (var index = 0; index < regions.Count; index++)
        {
            var region = regions[index];
            builder
                .WithReference(storages[region.Id])
                .WithEnvironment($"Residency__Regions__{index}__Id", region.Id)
                .WithEnvironment($"Residency__Regions__{index}__Name", region.Name)
                .WithEnvironment($"Residency__Regions__{index}__Jurisdiction", region.Jurisdiction)
                .WithEnvironment($"Residency__Regions__{index}__StorageEndpoint", storages[region.Id].GetEndpoint("http"));
        }

        return builder;
    }

    /// <summary>The gateway's storage cluster: one destination per region, named by the region (the gateway picks one per request).</summary>
    public static IResourceBuilder<ProjectResource> WithRegionalStorageRoutes(this IResourceBuilder<ProjectResource> gateway,
        IReadOnlyDictionary<string, IResourceBuilder<ProjectResource>> storages)
    {
        foreach (var (region, storage) in storages)
        {
            gateway.WithReference(storage).WithEnvironment($"ReverseProxy__Clusters__storage__Destinations__{region}__Address", storage.GetEndpoint("http"));
        }

        return gateway;
    }
}
