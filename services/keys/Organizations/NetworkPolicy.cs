namespace Platform.Keys.Organizations;

/// <summary>
/// An organization's IP allowlist (SPEC GW-IP): requests made for it, by key or by user token, must come from one of
/// <see cref="AllowedCidrs"/>; empty means from anywhere. <see cref="UpdatedAt"/> is null for one never set.
/// </summary>
internal sealed record NetworkPolicy(string OrganizationId, IReadOnlyList<string> AllowedCidrs, DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    public static NetworkPolicy Unrestricted(string organizationId) => new(organizationId, [], null, null);

    /// <summary>The same ranges, whatever their order: setting them again is no change.</summary>
    public bool HasSameRanges(IReadOnlyList<string> cidrs) => AllowedCidrs.Order(StringComparer.Ordinal).SequenceEqual(cidrs.Order(StringComparer.Ordinal));
}
