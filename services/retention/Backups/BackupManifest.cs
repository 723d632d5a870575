using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NSec.Cryptography;

namespace Platform.Retention.Backups;

/// <summary>
/// What a backup set holds (version 1): the databases and blob roots, each payload file's size and SHA-256, every blob's
/// path, size and SHA-256, when it was taken and expires, and per storage database the organization key versions its
/// data keys are wrapped by. <c>manifest.json</c> is signed as it is stored (Ed25519, <c>manifest.sig</c>).
/// </summary>
public sealed record BackupManifest(
    int Version, string Id, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string CreatedBy, TimeSpan DeletionBound,
    IReadOnlyList<BackupDatabaseEntry> Databases, IReadOnlyList<BackupBlobRootEntry> BlobRoots)
{
    public const string FileName = "manifest.json";
    public const string SignatureFileName = "manifest.sig";

    public IEnumerable<BackupPayloadFile> Files => Databases.Select(d => d.File).Concat(BlobRoots.Select(b => b.File));
}

public sealed record BackupPayloadFile(string Name, long PlaintextBytes, long Bytes, string Sha256);

/// <summary>
/// A database of the set. For a storage database, <see cref="ZeroRetentionObjects"/> lists the image objects under a
/// zero-retention policy when it was taken: their bytes are in no blob root of the set, and a restore drops their rows
/// (issue 16 item 2, "its bytes never reach a backup").
/// </summary>
public sealed record BackupDatabaseEntry(
    string Name, BackupPayloadFile File, IReadOnlyDictionary<string, IReadOnlyList<int>> KeyVersions, IReadOnlyList<string>? ZeroRetentionObjects = null);

public sealed record BackupBlobRootEntry(string Name, string? Database, BackupPayloadFile File, IReadOnlyList<BackupBlob> Blobs);

public sealed record BackupBlob(string Path, long Bytes, string Sha256);

/// <summary>Signs and verifies manifests (seed: SHA-256 of <see cref="BackupOptions.SigningKey"/>), like retention's receipts.</summary>
internal sealed class BackupManifestSigner : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { WriteIndented = true };
    private readonly Key key;

    public BackupManifestSigner(string signingSecret)
    {
        key = Key.Import(Algorithm, SHA256.HashData(Encoding.UTF8.GetBytes(signingSecret)), KeyBlobFormat.RawPrivateKey);
        VerifierKey = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string VerifierKey { get; }

    public (byte[] Text, string Signature) Sign(BackupManifest manifest)
    {
        var text = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);
        return (text, Convert.ToBase64String(Algorithm.Sign(key, text)));
    }

    /// <summary>The manifest if <paramref name="signature"/> is this key's over exactly <paramref name="text"/>.</summary>
    public BackupManifest Verify(byte[] text, string signature)
    {
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(signature.Trim());
        }
        catch (FormatException)
        {
            throw new BackupInvalidException("manifest.sig is not a base64 signature.");
        }

        if (raw.Length != Algorithm.SignatureSize || !Algorithm.Verify(key.PublicKey, text, raw))
            throw new BackupInvalidException("The manifest's signature does not verify: manifest.json was edited, or signed with another key.");
        return JsonSerializer.Deserialize<BackupManifest>(text, Json) ?? throw new BackupInvalidException("manifest.json is empty.");
    }

    public void Dispose() => key.Dispose();
}
