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
        try
        {
            File.WriteAllText(file, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            using var provider = new KeyFileRootKeyProvider(new RootKeyOptions { KeyFile = file });
            AssertWrapsAndUnwraps(provider);

            using var other = new KeyFileRootKeyProvider(new RootKeyOptions { Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
            var key = RandomNumberGenerator.GetBytes(32);
            Assert.Null(other.Unwrap(provider.Wrap(key, "a"u8), "a"u8));
        }
        finally
        {
            File.Delete(file);
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
        using (var provider = new Pkcs11RootKeyProvider(Options("root", create: true)))
        {
            Assert.Equal("pkcs11:platform-test/root", provider.Name);
            AssertWrapsAndUnwraps(provider);
            wrapped = provider.Wrap(key, binding);
        }

        // A new session finds the same key object in the token, without creating another.
        using (var again = new Pkcs11RootKeyProvider(Options("root", create: false)))
        {
            Assert.Equal(key, again.Unwrap(wrapped, binding));
        }

        Assert.Throws<InvalidOperationException>(() => new Pkcs11RootKeyProvider(Options("absent", create: false)).Dispose());
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
