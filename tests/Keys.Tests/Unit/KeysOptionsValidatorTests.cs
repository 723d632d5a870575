using System.Security.Cryptography;

namespace Platform.Keys.Tests.Unit;

public sealed class KeysOptionsValidatorTests
{
    private static KeysOptions Valid() => new()
    {
        Pepper = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        Administrators = [new KeyAdministrator { Name = "root", Token = new string('r', 40), Organizations = ["*"] }],
        ServiceTokens = [new string('s', 40)],
    };

    [Fact]
    public void An_administrators_networks_must_be_cidr_ranges_and_are_checked_at_start_up()
    {
        var options = Valid();
        options.Administrators[0].Networks = ["10.0.0.0/8", "10.1.2.3/8", "anywhere"];
        var failures = new KeysOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Equal(2, failures.Count);
        Assert.Contains(failures, f => f.StartsWith("Keys:Administrators:0:Networks:1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Administrators:0:Networks:2", StringComparison.Ordinal));
    }

    [Fact]
    public void A_complete_section_is_valid()
    {
        Assert.True(new KeysOptionsValidator().Validate(null, Valid()).Succeeded);
    }

    [Fact]
    public void An_empty_section_reports_every_missing_setting_at_once()
    {
        var failures = new KeysOptionsValidator().Validate(null, new KeysOptions()).Failures!.ToList();
        Assert.Contains(failures, f => f.StartsWith("Keys:Pepper", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Administrators", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:ServiceTokens", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("c2hvcnQ=")]
    public void A_pepper_that_is_not_32_bytes_of_base64_is_refused_without_being_repeated(string pepper)
    {
        var options = Valid();
        options.Pepper = pepper;
        var failures = new KeysOptionsValidator().Validate(null, options).Failures!.ToList();
        Assert.Single(failures);
        Assert.DoesNotContain(pepper, failures[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Weak_tokens_bad_names_and_bad_organizations_are_each_reported_without_the_token()
    {
        var options = Valid();
        options.Administrators.Add(new KeyAdministrator { Name = "Bad Name", Token = "short-token", Organizations = ["acme"] });
        options.ServiceTokens.Add("tiny");
        var failures = new KeysOptionsValidator().Validate(null, options).Failures!.ToList();

        Assert.Contains(failures, f => f.StartsWith("Keys:Administrators:1:Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Administrators:1:Token", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:Administrators:1:Organizations", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Keys:ServiceTokens:1", StringComparison.Ordinal));
        Assert.All(failures, f => Assert.DoesNotContain("short-token", f, StringComparison.Ordinal));
    }

    [Fact]
    public void A_token_shared_by_an_administrator_and_a_service_is_refused()
    {
        var options = Valid();
        options.ServiceTokens.Add(options.Administrators[0].Token);
        Assert.False(new KeysOptionsValidator().Validate(null, options).Succeeded);
    }
}
