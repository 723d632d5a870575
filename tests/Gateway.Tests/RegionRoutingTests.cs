using Microsoft.AspNetCore.Http;
using Platform.Gateway.Residency;

namespace Platform.Gateway.Tests;

/// <summary>GW-ROUTE's pure parts: the region a path's dataset id names, and the routing options' validation.</summary>
public sealed class RegionRoutingTests
{
    [Theory]
    [InlineData("/v1/organizations/org_a/datasets/ds_eu_0190a1b2c3d4e5f60718293a4b5c6d7e", "eu")]
    [InlineData("/v1/organizations/org_a/datasets/ds_apac_0190a1b2c3d4e5f60718293a4b5c6d7e/objects/x/y.png", "apac")]
    [InlineData("/v1/organizations/org_a/datasets/ds_0190a1b2c3d4e5f60718293a4b5c6d7e/objects/x", null)]
    [InlineData("/v1/organizations/org_a/datasets/ds_EU_0190a1b2c3d4e5f60718293a4b5c6d7e", null)]
    [InlineData("/v1/organizations/org_a/datasets/ds_e.u_0190a1b2c3d4e5f60718293a4b5c6d7e", null)]
    [InlineData("/v1/organizations/org_a/datasets/", null)]
    [InlineData("/v1/organizations/org_a/datasets", null)]
    [InlineData("/v1/organizations/org_a/datasets/ds_eu_short", null)]
    public void The_region_is_read_from_the_dataset_id_in_the_path(string path, string? region) =>
        Assert.Equal(region, RegionRouting.DatasetRegion(new PathString(path)));

    [Fact]
    public void Routing_options_report_every_error_at_once_without_the_token()
    {
        var result = new ResidencyRoutingOptionsValidator().Validate(null, new ResidencyRoutingOptions
        {
            Url = new Uri("ftp://residency"), ServiceToken = "short-secret", CacheDuration = TimeSpan.FromHours(1), MaxCachedAnswers = 0,
        });
        Assert.Equal(4, result.Failures!.Count());
        Assert.DoesNotContain(result.Failures!, f => f.Contains("short-secret", StringComparison.Ordinal));
        Assert.True(new ResidencyRoutingOptionsValidator().Validate(null, new ResidencyRoutingOptions()).Succeeded);
    }
}
