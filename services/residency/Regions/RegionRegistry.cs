using Microsoft.Extensions.Options;

namespace Platform.Residency.Regions;

/// <summary>The regions of <c>Residency:Regions</c> (SPEC RES-REGION), in their configured order.</summary>
internal sealed class RegionRegistry(IOptions<ResidencyOptions> options)
{
    public IReadOnlyList<RegionOptions> All { get; } = options.Value.Regions;

    public string DefaultRegion { get; } = options.Value.DefaultRegion;

    public IEnumerable<string> Ids => All.Select(r => r.Id);

    public RegionOptions? Find(string? id) => All.FirstOrDefault(r => r.Id == id);
}
