namespace Platform.Storage.Keys;

/// <summary>
/// The top of the key hierarchy (SPEC ENC-KMS): wraps and unwraps organization keys. The root key itself never
/// leaves the provider (an HSM, over PKCS#11) or, for the development file provider, this process.
/// </summary>
internal interface IRootKeyProvider : IDisposable
{
    /// <summary>A non-secret name of the provider and key, stored beside every key it wraps ("file", "pkcs11:token/label").</summary>
    string Name { get; }

    /// <summary>AES-256-GCM of <paramref name="key"/> under the root key: nonce ‖ ciphertext ‖ tag.</summary>
    byte[] Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData);

    /// <summary>The key, or null when <paramref name="wrapped"/> was not wrapped by this root key with this associated data.</summary>
    byte[]? Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData);
}
