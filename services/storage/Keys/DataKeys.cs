using System.Security.Cryptography;
using Platform.Storage.Crypto;

namespace Platform.Storage.Keys;

/// <summary>Per-object data keys, wrapped by the organization key with the object id and the key version as associated data.</summary>
internal sealed class DataKeys(OrganizationKeyRing ring)
{
    public async Task<(byte[] DataKey, int Version, byte[] Wrapped)> NewAsync(string organizationId, string objectId, CancellationToken cancellationToken)
    {
        var (version, kek) = await ring.ForDataKeyAsync(organizationId, cancellationToken);
        var dataKey = RandomNumberGenerator.GetBytes(Aead.KeyBytes);
        return (dataKey, version, Aead.Seal(kek, dataKey, AssociatedData.For(Purposes.DataKey, organizationId, objectId, version)));
    }

    /// <summary>The data key, or <see cref="ObjectIntegrityException"/> when the wrapped key is not this object's.</summary>
    public async Task<byte[]> OpenAsync(string organizationId, string objectId, int version, byte[] wrapped, CancellationToken cancellationToken)
    {
        var kek = await ring.ForDecryptionAsync(organizationId, version, cancellationToken);
        return Aead.Open(kek, wrapped, AssociatedData.For(Purposes.DataKey, organizationId, objectId, version))
            ?? throw new ObjectIntegrityException("The object's wrapped data key does not belong to it.");
    }

    /// <summary>The data key wrapped again by the current version; the plaintext key exists only inside this call.</summary>
    public async Task<(int Version, byte[] Wrapped)> RewrapAsync(string organizationId, string objectId, int version, byte[] wrapped, CancellationToken cancellationToken)
    {
        var dataKey = await OpenAsync(organizationId, objectId, version, wrapped, cancellationToken);
        try
        {
            var (newVersion, kek) = await ring.ForEncryptionAsync(organizationId, cancellationToken);
            return (newVersion, Aead.Seal(kek, dataKey, AssociatedData.For(Purposes.DataKey, organizationId, objectId, newVersion)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
        }
    }
}
