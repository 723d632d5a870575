namespace Platform.AppHost;

/// <summary>A region of the platform (SPEC RES-REGION): one storage deployment, with its own database, blobs and keys.</summary>
internal sealed record StorageRegion(string Id, string Name, string Jurisdiction)
{
    public string Resource => $"storage-{Id}";

    public string Database => $"storage{Id}db";
}

internal static class StorageRegions
{
    /// <summary>
    /// The default region of multi-region organizations, and the one whose storage serves transit encryption for
    /// keys (secrets) and other services: organization keys for transit live there.
    /// </summary>
    public const string Default = "us";

    private static readonly StorageRegion[] all =
    [
        new("us", "United States (Virginia)", "United States"),
        new("eu", "European Union (Frankfurt)", "European Union (GDPR)"),
        new("apac", "Asia-Pacific (Singapore)", "Singapore (PDPA)"),
    ];

    /// <summary>Every region in the manifest; locally us and eu only, to keep a start on 2 cores modest.</summary>
    public static IReadOnlyList<StorageRegion> For(DistributedApplicationExecutionContext context) => context.IsPublishMode ? all : all[..2];
}
