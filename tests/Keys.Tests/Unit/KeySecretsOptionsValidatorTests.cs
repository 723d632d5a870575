using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Platform.Keys.Secrets;

namespace Platform.Keys.Tests.Unit;

public sealed class KeySecretsOptionsValidatorTests
{
    private const string Token = "storage-token-0123456789-0123456789-abc";

    [Fact]
    public void A_complete_section_is_valid()
    {
        var result = Validate("http://127.0.0.1:5001", new KeySecretsOptions
        {
            StorageToken = Token,
            Consumers = [new SecretConsumer { Name = "deployer", Token = "consumer-token-0123456789-0123456789-ab", Organizations = ["*"] }],
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Every_error_is_reported_at_once_without_a_value()
    {
        var result = Validate("storage", new KeySecretsOptions
        {
            StorageToken = "short",
            Consumers =
            [
                new SecretConsumer { Name = "Bad Name", Token = "tiny", Organizations = [] },
                new SecretConsumer { Name = "admin", Token = "admin-token-0123456789-0123456789-abcd", Organizations = ["acme"] },
            ],
        });

        Assert.False(result.Succeeded);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("services__storage__http__0", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Secrets:StorageToken", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Secrets:Consumers:0:Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Secrets:Consumers:0:Token", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Secrets:Consumers:0:Organizations", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Secrets:Consumers:1:Organizations", StringComparison.Ordinal));
        // The second consumer reuses the administrator's token: it could read secrets as an administrator.
        Assert.Contains(failures, f => f.StartsWith("Keys:Secrets:Consumers tokens", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("admin-token-0123", StringComparison.Ordinal) || f.Contains("short", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_storage_address_is_an_error()
    {
        var result = Validate(null, new KeySecretsOptions { StorageToken = Token });
        Assert.False(result.Succeeded);
        Assert.Single(result.Failures!);
    }

    private static ValidateOptionsResult Validate(string? storage, KeySecretsOptions options)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [KeySecretsOptions.StorageEndpointKey] = storage })
            .Build();
        var keys = Options.Create(new KeysOptions
        {
            Administrators = [new KeyAdministrator { Name = "admin", Token = "admin-token-0123456789-0123456789-abcd", Organizations = ["*"] }],
            ServiceTokens = ["gateway-token-0123456789-0123456789-abc"],
        });
        return new KeySecretsOptionsValidator(configuration, keys).Validate(null, options);
    }
}
