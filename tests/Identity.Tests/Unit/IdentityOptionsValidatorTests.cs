namespace Platform.Identity.Tests.Unit;

public sealed class IdentityOptionsValidatorTests
{
    [Fact]
    public void Every_error_is_reported_at_once_and_names_settings_not_values()
    {
        var options = new IdentityOptions
        {
            Issuer = "http://insecure.example/",
            DataKey = "c2hvcnQ=",
            Passwords = { MinLength = 8, MemoryKiB = 4096, Iterations = 1 },
            Tokens = { AccessTokenLifetime = TimeSpan.FromHours(5) },
            FirstPartyClients =
            {
                new() { ClientId = "platform-console", ClientSecret = new string('s', 40), RedirectUris = { "https://localhost:8443/console/signin-oidc" }, AccessTokenLifetime = TimeSpan.FromSeconds(30) },
            },
        };
        var result = new IdentityOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        foreach (var setting in new[] { "Identity:Issuer", "Identity:DataKey", "Identity:Passwords:MinLength", "Identity:Passwords:MemoryKiB",
                     "Identity:Passwords:Iterations", "Identity:Tokens:AccessTokenLifetime", "Identity:Mail", "Identity:FirstPartyClients:0:AccessTokenLifetime" })
        {
            Assert.Contains(failures, f => f.StartsWith(setting, StringComparison.Ordinal));
        }

        Assert.DoesNotContain(failures, f => f.Contains("c2hvcnQ=", StringComparison.Ordinal));
    }

    [Fact]
    public void The_AppHost_generated_data_key_and_defaults_are_accepted()
    {
        // The AppHost generates 44 letters and digits: valid base64 of 33 bytes.
        var options = new IdentityOptions
        {
            Issuer = "https://localhost:8443/",
            DataKey = "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7dEf0hIj3k",
            Mail = { Folder = "../../.mail/identity" },
        };
        Assert.True(new IdentityOptionsValidator().Validate(null, options).Succeeded);
    }
}
