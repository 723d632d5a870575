namespace Platform.Residency.Tests.Unit;

public sealed class OptionsValidatorTests
{
    [Fact]
    public void Every_error_is_reported_at_once_and_no_token_is_quoted()
    {
        var options = new ResidencyOptions
        {
            Regions =
            [
                new RegionOptions { Id = "eu", Name = "EU", Jurisdiction = "EU", StorageEndpoint = "http://storage-eu" },
                new RegionOptions { Id = "EU_1", Name = "", Jurisdiction = "", StorageEndpoint = "ftp://x" },
                new RegionOptions { Id = "eu", Name = "again", Jurisdiction = "EU", StorageEndpoint = "http://storage-eu2" },
            ],
            DefaultRegion = "us",
            StorageToken = "short-secret",
            ServiceTokens = ["tiny-secret"],
            Reports = new ReportOptions { SigningKey = "small-secret", KeyName = "two words" },
            Operators = [new ResidencyOperator { Name = "", Token = "little-secret", Networks = ["10.1.2.3/8"] }],
        };
        var result = new ResidencyOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Residency:Regions:1:Id", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Regions:1:Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Regions:1:Jurisdiction", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Regions:1:StorageEndpoint", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("unique", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:DefaultRegion", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:StorageToken", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:ServiceTokens:0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Reports:SigningKey", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Reports:KeyName", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Operators:0:Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Operators:0:Token", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Operators:0:Organizations", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Residency:Operators:0:Networks:0", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("secret", StringComparison.Ordinal));
    }
}
