namespace Platform.Storage.Keys;

/// <summary>
/// The top of the key hierarchy (SPEC ENC-KMS, ENC-SHRED): wraps and unwraps organization keys. The root key itself
/// never leaves the provider (an HSM, over PKCS#11) or, for the development file provider, this process.
/// Each organization also has its own key in the provider, outside the database, which wraps that organization's
/// key versions: destroying it is what makes a crypto-shred reach database backups taken before it.
/// </summary>
internal interface IRootKeyProvider : IDisposable
{
    /// <summary>A non-secret name of the provider and key, stored beside every key it wraps ("file", "pkcs11:token/label").</summary>
    string Name { get; }

    /// <summary>The name stored beside keys wrapped by an organization's own provider key.</summary>
    string OrganizationKeyName => Name + "/organization";

    /// <summary>AES-256-GCM of <paramref name="key"/> under the root key: nonce ‖ ciphertext ‖ tag.</summary>
    byte[] Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData);

    /// <summary>The key, or null when <paramref name="wrapped"/> was not wrapped by this root key with this associated data.</summary>
    byte[]? Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData);

    /// <summary>AES-256-GCM of <paramref name="key"/> under the organization's provider key, which is created on first use.</summary>
    byte[] WrapForOrganization(string organizationId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// The key, or null when it was not wrapped by the organization's provider key with this associated data.
    /// Throws <see cref="KeyUnavailableException"/> (destroyed) when the organization's provider key does not exist.
    /// </summary>
    byte[]? UnwrapForOrganization(string organizationId, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData);

    /// <summary>Destroys the organization's provider key for good; true if there was one.</summary>
    bool DestroyOrganizationKey(string organizationId);
}
