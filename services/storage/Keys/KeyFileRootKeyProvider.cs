using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Platform.Storage.Crypto;

namespace Platform.Storage.Keys;

/// <summary>
/// Development root key: HKDF-SHA256 of at least 32 secret bytes from configuration (<c>Storage:RootKey:Key</c>, e.g.
/// a generated secret parameter) or a file (<c>Storage:RootKey:KeyFile</c>), held in process memory. Refused outside Development unless explicitly allowed
/// (<see cref="StorageOptionsValidator"/>): whoever reads the file or the process can unwrap every organization key.
/// Organizations' own keys are files in <c>Storage:RootKey:OrganizationKeyFolder</c>, each wrapped by the root key;
/// that folder plays the HSM's part and must not be in the database's backups.
/// </summary>
internal sealed class KeyFileRootKeyProvider : IRootKeyProvider
{
    private readonly byte[] rootKey;
    private readonly string organizationKeyFolder;
    private readonly ConcurrentDictionary<string, byte[]> organizationKeys = new(StringComparer.Ordinal);
    private readonly Lock creating = new();

    public KeyFileRootKeyProvider(RootKeyOptions options)
    {
        var text = options.Key is { Length: > 0 } inline ? inline : File.ReadAllText(options.KeyFile!).Trim();
        var material = Convert.FromBase64String(text);
        if (material.Length < Aead.KeyBytes) throw new InvalidOperationException("The root key material must be at least 32 bytes.");
        // RFC 5869: one uniform 256-bit key from secret material of any length at least that strong.
        rootKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, Aead.KeyBytes, info: "platform.storage/v1 root key"u8.ToArray());
        CryptographicOperations.ZeroMemory(material);
        organizationKeyFolder = Path.GetFullPath(options.OrganizationKeyFolder!);
        Directory.CreateDirectory(organizationKeyFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Name => "file";

    public byte[] Wrap(ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData) => Aead.Seal(rootKey, key, associatedData);

    public byte[]? Unwrap(ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData) => Aead.Open(rootKey, wrapped, associatedData);

    public byte[] WrapForOrganization(string organizationId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> associatedData) =>
        Aead.Seal(OrganizationKey(organizationId, create: true)!, key, associatedData);

    public byte[]? UnwrapForOrganization(string organizationId, ReadOnlySpan<byte> wrapped, ReadOnlySpan<byte> associatedData) =>
        Aead.Open(OrganizationKey(organizationId, create: false) ?? throw new KeyUnavailableException(KeyUnavailableReason.Destroyed), wrapped, associatedData);

    public bool DestroyOrganizationKey(string organizationId)
    {
        lock (creating)
        {
            if (organizationKeys.TryRemove(organizationId, out var cached)) CryptographicOperations.ZeroMemory(cached);
            var path = PathOf(organizationId);
            if (!File.Exists(path)) return false;
            // Overwritten on disk before it is unlinked, so the blocks do not keep the wrapped key.
            using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
            {
                file.Write(RandomNumberGenerator.GetBytes((int)file.Length));
                file.Flush(flushToDisk: true);
            }

            File.Delete(path);
            return true;
        }
    }

    private byte[]? OrganizationKey(string organizationId, bool create)
    {
        if (organizationKeys.TryGetValue(organizationId, out var cached)) return cached;
        lock (creating)
        {
            if (organizationKeys.TryGetValue(organizationId, out cached)) return cached;
            var path = PathOf(organizationId);
            var binding = AssociatedData.For(Purposes.OrganizationKey, organizationId, "provider", 0);
            if (File.Exists(path))
            {
                var key = Aead.Open(rootKey, File.ReadAllBytes(path), binding)
                    ?? throw new InvalidOperationException($"The provider key file of {organizationId} was not wrapped by this root key, or was altered.");
                return organizationKeys[organizationId] = key;
            }

            if (!create) return null;
            var fresh = RandomNumberGenerator.GetBytes(Aead.KeyBytes);
            using (var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.Write(Aead.Seal(rootKey, fresh, binding));
                file.Flush(flushToDisk: true);
            }

            return organizationKeys[organizationId] = fresh;
        }
    }

    /// <summary>A file name from the organization id's hash: any id, no path tricks.</summary>
    private string PathOf(string organizationId) =>
        Path.Combine(organizationKeyFolder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(organizationId))) + ".key");

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(rootKey);
        foreach (var key in organizationKeys.Values) CryptographicOperations.ZeroMemory(key);
    }
}
