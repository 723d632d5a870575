using Microsoft.Extensions.Options;
using Platform.Identity.Model;
using Platform.Identity.Mfa;
using Platform.Identity.Passwords;

namespace Platform.Identity.Tests.Unit;

public sealed class PasswordTests
{
    private static IOptions<IdentityOptions> Options(int memory = 19456, int iterations = 2) =>
        Microsoft.Extensions.Options.Options.Create(new IdentityOptions { Passwords = { MemoryKiB = memory, Iterations = iterations }, DataKey = Convert.ToBase64String(new byte[32]) });

    [Fact]
    public void Hash_is_an_argon2id_PHC_string_at_OWASP_parameters_with_a_fresh_salt()
    {
        var hasher = new PasswordHasher(Options());
        var first = hasher.Hash("correct horse battery staple");
        var second = hasher.Hash("correct horse battery staple");
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", first, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.True(hasher.Verify("correct horse battery staple", first, out var rehash));
        Assert.False(rehash);
        Assert.False(hasher.Verify("correct horse battery stapler", first, out _));
    }

    [Fact]
    public void A_hash_made_with_weaker_parameters_verifies_and_asks_for_a_rehash()
    {
        var old = new PasswordHasher(Options(memory: 8192, iterations: 1)).Hash("correct horse battery staple");
        Assert.Contains("m=8192,t=1", old, StringComparison.Ordinal);
        Assert.True(new PasswordHasher(Options()).Verify("correct horse battery staple", old, out var rehash));
        Assert.True(rehash);
    }

    [Theory]
    [InlineData("short", "too short")]
    [InlineData("password1234", "too common")]
    [InlineData("qwertyuiop123", "too common")]
    [InlineData("aaaaaaaaaaaaaaaa", "too common")]
    [InlineData("aliceexample-is-my-password", "email")]
    public void Weak_passwords_are_refused_with_a_reason(string password, string reason)
    {
        var policy = new PasswordPolicy(Options());
        Assert.Contains(reason, policy.Check(password, "aliceexample@example.com"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_bundled_list_has_thousands_of_entries_and_good_passphrases_pass()
    {
        var policy = new PasswordPolicy(Options());
        Assert.True(policy.CommonCount > 5000);
        Assert.Null(policy.Check("correct horse battery staple 42", "alice@example.com"));
    }

    [Theory]
    [InlineData("alice@example.com", true)]
    [InlineData("Alice.Smith+tag@Example.co.uk", true)]
    [InlineData("not-an-email", false)]
    [InlineData("a@b", false)]
    [InlineData("Alice <alice@example.com>", false)]
    [InlineData("alice@@example.com", false)]
    [InlineData("alice@exa mple.com", false)]
    [InlineData("", false)]
    public void Email_addresses_are_validated(string email, bool valid) => Assert.Equal(valid, EmailAddress.TryNormalize(email, out _));

    [Fact]
    public void Protected_data_is_bound_to_its_context()
    {
        var protector = new DataProtector(Microsoft.Extensions.Options.Options.Create(new IdentityOptions { DataKey = Convert.ToBase64String(new byte[32]) }));
        var sealedBytes = protector.Protect("secret"u8, "totp:usr_1");
        Assert.Equal("secret"u8.ToArray(), protector.Unprotect(sealedBytes, "totp:usr_1"));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => protector.Unprotect(sealedBytes, "totp:usr_2"));
    }
}
