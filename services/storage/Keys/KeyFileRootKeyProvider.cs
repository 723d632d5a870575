using System.Security.Cryptography;
using Platform.Storage.Crypto;

namespace Platform.Storage.Keys;

/// <summary>
/// Development root key: HKDF-SHA256 of at least 32 secret bytes from configuration (<c>Storage:RootKey:Key</c>, e.g.
/// a generated secret parameter) or a file (<c>Storage:RootKey:KeyFile</c>), held in process memory. Refused outside Development unless explicitly allowed
/// (<see cref="StorageOptionsValidator"/>): whoever reads the file or the process can unwrap every organization key.
/// </summary>
internal sealed class KeyFileRootKeyProvider : IRootKeyProvider
{
    private readonly byte[] rootKey;

    public KeyFileRootKeyProvider(RootKeyOptions options)
    {
        var text = options.Key is { Length: > 0 } inline ? inline : File.ReadAllText(options.KeyFile!).Trim();
        var material = Convert.FromBase64String(text);
        if (material.Length < Aead.KeyBytes) throw new InvalidOperationException("The root key material must be at least 32 bytes.");
        // RFC 5869: one uniform 256-bit key from secret material of any length at least that strong.
        rootKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, Aead.KeyBytes, info: "platform.storage/v1 root key"u8.ToArray());
        CryptographicOperations.ZeroMemory(material);
    }

    public string Name => "file";

    public byte[] Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData) => Aead.Seal(rootKey, key, associatedData);

    public byte[]? Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData) => Aead.Open(rootKey, wrapped, associatedData);

    public void Dispose() => CryptographicOperations.ZeroMemory(rootKey);
}
