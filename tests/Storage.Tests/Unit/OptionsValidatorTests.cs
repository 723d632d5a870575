using System.Security.Cryptography;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace Platform.Storage.Tests.Unit;

public sealed class OptionsValidatorTests
{
    private static StorageOptions Valid() => new()
    {
        Region = "eu",
        BlobRoot = "/var/lib/platform/blobs",
        RootKey = new RootKeyOptions { Provider = "File", Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), OrganizationKeyFolder = "/var/lib/platform/organization-keys" },
        ServiceTokens = [new ServiceCaller { Name = "retention", Token = new string('t', 40), Organizations = ["*"] }],
    };

    [Fact]
    public void A_complete_development_configuration_passes()
    {
        Assert.True(new StorageOptionsValidator(new Environment("Development")).Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void The_key_file_provider_is_refused_in_production_unless_explicitly_allowed()
    {
        var production = new StorageOptionsValidator(new Environment("Production"));
        var result = production.Validate(null, Valid());
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("AllowFileProviderInProduction", StringComparison.Ordinal));

        var allowed = Valid();
        allowed.RootKey.AllowFileProviderInProduction = true;
        Assert.True(production.Validate(null, allowed).Succeeded);
    }

    [Fact]
    public void Every_error_is_reported_at_once_without_secret_values()
    {
        var options = Valid();
        options.Region = "EU!";
        options.BlobRoot = "relative";
        options.RootKey.Key = "c2hvcnQ=";
        options.RootKey.OrganizationKeyFolder = "relative/keys";
        options.KeyUsageLimit = (1L << 32) + 1;
        options.ServiceTokens.Add(new ServiceCaller { Name = "x", Token = "short", Organizations = ["nope"] });

        var failures = new StorageOptionsValidator(new Environment("Development")).Validate(null, options).Failures!.ToList();

        Assert.True(failures.Count >= 7, string.Join("\n", failures));
        Assert.Contains(failures, f => f.Contains("OrganizationKeyFolder", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("c2hvcnQ=", StringComparison.Ordinal) || f.Contains("short", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, 2, "MaxBatch")]
    [InlineData(1001, 2, "MaxBatch")]
    [InlineData(64, -1, "MaxWait")]
    [InlineData(64, 101, "MaxWait")]
    public void Group_commit_takes_a_bounded_batch_and_a_short_wait(int maxBatch, int maxWaitMilliseconds, string setting)
    {
        var options = Valid();
        options.GroupCommit = new GroupCommitOptions { MaxBatch = maxBatch, MaxWait = TimeSpan.FromMilliseconds(maxWaitMilliseconds) };
        var result = new StorageOptionsValidator(new Environment("Development")).Validate(null, options);
        Assert.Contains(result.Failures!, f => f.Contains($"Storage:GroupCommit:{setting}", StringComparison.Ordinal));

        options.GroupCommit = new GroupCommitOptions { MaxBatch = 1, MaxWait = TimeSpan.Zero };
        Assert.True(new StorageOptionsValidator(new Environment("Development")).Validate(null, options).Succeeded);
    }

    internal sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "storage";

        public string ContentRootPath { get; set; } = "/";

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}

public sealed class BackupReachOptionsTests
{
    [Fact]
    public void The_deletion_bound_must_hold_epoch_rotation_backup_retention_and_the_maintenance_interval()
    {
        var options = new StorageOptions
        {
            Region = "eu",
            BlobRoot = "/var/lib/platform/blobs",
            RootKey = new RootKeyOptions { Provider = "File", Key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), OrganizationKeyFolder = "/var/lib/platform/organization-keys" },
        };
        var validator = new StorageOptionsValidator(new OptionsValidatorTests.Environment("Development"));
        Assert.True(validator.Validate(null, options).Succeeded, "the defaults (7 + 21 days + 1 hour of maintenance + 1 hour and 5 minutes of transit reports) fit 30 days");

        options.BackupReach.BackupRetention = TimeSpan.FromDays(30);
        var failure = Assert.Single(validator.Validate(null, options).Failures!);
        Assert.Contains("must not exceed Bound", failure, StringComparison.Ordinal);
    }
}
