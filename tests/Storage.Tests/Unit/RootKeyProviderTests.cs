using System.Security.Cryptography;
using Platform.Storage.Crypto;
using Platform.Storage.Keys;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Unit;

/// <summary>Both root key providers wrap and unwrap, and refuse what they did not wrap or what was bound elsewhere.</summary>
/// <remarks>
/// In the service collection, so that it never runs beside <c>HsmRootKeyTests</c>: a PKCS#11 module is initialized once
/// per process, and SOFTHSM2_CONF is process-wide.
/// </remarks>
[Collection(StorageServiceCollection.Name)]
public sealed class RootKeyProviderTests
{
    [Fact]
    public void Key_file_provider_round_trips_and_binds_associated_data()
    {
        var file = Path.GetTempFileName();
        var folder = Directory.CreateTempSubdirectory("organization-keys-").FullName;
        try
        {
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            using var provider = new KeyFileRootKeyProvider(new RootKeyOptions { KeyFile = file, OrganizationKeyFolder = folder });
            AssertWrapsAndUnwraps(provider);
            AssertOrganizationKeysWrapAndAreDestroyed(provider);

            // The organization key files hold no key in the clear, and mean nothing under another root key.
            var binding = AssociatedData.For(Purposes.OrganizationKey, "org_kept", "-", 1);
            var wrapped = provider.WrapForOrganization("org_kept", RandomNumberGenerator.GetBytes(32), binding);
            using var other = new KeyFileRootKeyProvider(new RootKeyOptions { Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), OrganizationKeyFolder = folder });
            var key = RandomNumberGenerator.GetBytes(32);
            Assert.Null(other.Unwrap(provider.Wrap(key, "a"u8), "a"u8));
            Assert.Throws<InvalidOperationException>(() => other.UnwrapForOrganization("org_kept", wrapped, binding));
        }
        finally
        {
            File.Delete(file);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Pkcs11_provider_keeps_the_root_key_in_SoftHSM()
    {
        using var hsm = await SoftHsm.CreateAsync();
        Pkcs11Options Options(string label, bool create) => new()
        {
            LibraryPath = hsm.LibraryPath, TokenLabel = SoftHsm.TokenLabel, Pin = SoftHsm.UserPin, KeyLabel = label, CreateKeyIfMissing = create,
        };

        byte[] wrapped;
        var key = RandomNumberGenerator.GetBytes(32);
        var binding = AssociatedData.For(Purposes.OrganizationKey, "org_hsm", "-", 1);
        byte[] wrappedForOrganization;
        using (var provider = new Pkcs11RootKeyProvider(Options("root", create: true)))
        {
            Assert.Equal("pkcs11:platform-test/root", provider.Name);
            AssertWrapsAndUnwraps(provider);
            AssertOrganizationKeysWrapAndAreDestroyed(provider);
            wrapped = provider.Wrap(key, binding);
            wrappedForOrganization = provider.WrapForOrganization("org_hsm", key, binding);
        }

        // A new session finds the same key objects in the token, without creating others; destroying one is for good.
        using (var again = new Pkcs11RootKeyProvider(Options("root", create: false)))
        {
            Assert.Equal(key, again.Unwrap(wrapped, binding));
            Assert.Equal(key, again.UnwrapForOrganization("org_hsm", wrappedForOrganization, binding));
            Assert.True(again.DestroyOrganizationKey("org_hsm"));
        }

        using (var after = new Pkcs11RootKeyProvider(Options("root", create: false)))
        {
            Assert.Throws<KeyUnavailableException>(() => after.UnwrapForOrganization("org_hsm", wrappedForOrganization, binding));
        }

        Assert.Throws<InvalidOperationException>(() => new Pkcs11RootKeyProvider(Options("absent", create: false)).Dispose());
    }

    /// <summary>Each organization's own key wraps only for it; destroyed, nothing it wrapped comes back, ever.</summary>
    private static void AssertOrganizationKeysWrapAndAreDestroyed(IRootKeyProvider provider)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var binding = AssociatedData.For(Purposes.OrganizationKey, "org_a", "-", 1);
        var wrapped = provider.WrapForOrganization("org_a", key, binding);
        provider.WrapForOrganization("org_b", key, binding);

        Assert.Equal(key, provider.UnwrapForOrganization("org_a", wrapped, binding));
        Assert.Null(provider.UnwrapForOrganization("org_b", wrapped, binding));
        Assert.Null(provider.Unwrap(wrapped, binding));
        Assert.NotEqual(provider.Name, provider.OrganizationKeyName);

        Assert.True(provider.DestroyOrganizationKey("org_a"));
        var refused = Assert.Throws<KeyUnavailableException>(() => provider.UnwrapForOrganization("org_a", wrapped, binding));
        Assert.Equal(KeyUnavailableReason.Destroyed, refused.Reason);
        Assert.False(provider.DestroyOrganizationKey("org_a"));
        Assert.Throws<KeyUnavailableException>(() => provider.UnwrapForOrganization("org_never", wrapped, binding));
    }

    private static void AssertWrapsAndUnwraps(IRootKeyProvider provider)
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var binding = AssociatedData.For(Purposes.OrganizationKey, "org_a", "-", 3);
        var wrapped = provider.Wrap(key, binding);

        Assert.Equal(Aead.Overhead + key.Length, wrapped.Length);
        Assert.Equal(-1, wrapped.AsSpan().IndexOf(key.AsSpan(0, 8)));
        Assert.Equal(key, provider.Unwrap(wrapped, binding));
        Assert.NotEqual(wrapped, provider.Wrap(key, binding));
        Assert.Null(provider.Unwrap(wrapped, AssociatedData.For(Purposes.OrganizationKey, "org_b", "-", 3)));
        Assert.Null(provider.Unwrap(wrapped, AssociatedData.For(Purposes.OrganizationKey, "org_a", "-", 4)));
        var altered = wrapped.ToArray();
        altered[^1] ^= 1;
        Assert.Null(provider.Unwrap(altered, binding));
    }
}
