namespace Platform.Residency.Model;

/// <summary>The two residency modes (SPEC RES-PIN): data may live in any region, or everything in one.</summary>
internal static class ResidencyModes
{
    public const string MultiRegion = "multi-region";
    public const string SingleRegion = "single-region";
}

/// <summary>An organization's residency as stored; no row is multi-region, the default.</summary>
internal sealed record OrganizationResidency(string OrganizationId, string Mode, string? Region, DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    public static OrganizationResidency Default(string organizationId) => new(organizationId, ResidencyModes.MultiRegion, null, null, null);

    /// <summary>The regions the organization's new datasets may be pinned to.</summary>
    public IReadOnlyList<string> AllowedRegions(IEnumerable<string> all) => Mode == ResidencyModes.SingleRegion ? [Region!] : all.ToList();
}

/// <summary>A dataset a region's storage holds for an organization.</summary>
internal sealed record HeldDataset(string Region, string DatasetId, string Environment);
