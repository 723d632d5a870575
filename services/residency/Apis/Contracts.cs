using Platform.Residency.Model;
using Platform.Residency.Regions;

namespace Platform.Residency.Apis;

public sealed record RegionResponse(string Id, string Name, string Jurisdiction);

public sealed record RegionsResponse(string DefaultRegion, IReadOnlyList<RegionResponse> Items);

/// <summary>An organization's residency: its mode, its one region (single-region), where new datasets may go, the default.</summary>
public sealed record ResidencyResponse(
    string OrganizationId, string Mode, string? Region, IReadOnlyList<string> AllowedRegions, string DefaultRegion, DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    internal static ResidencyResponse From(OrganizationResidency residency, RegionRegistry regions) => new(
        residency.OrganizationId, residency.Mode, residency.Region, residency.AllowedRegions(regions.Ids),
        residency.Mode == ResidencyModes.SingleRegion ? residency.Region! : regions.DefaultRegion, residency.UpdatedAt, residency.UpdatedBy);
}

/// <summary><c>{"mode":"single-region","region":"eu"}</c> or <c>{"mode":"multi-region"}</c>.</summary>
public sealed record SetResidencyRequest(string Mode, string? Region = null);

public sealed record HeldDatasetResponse(string Region, string DatasetId);
