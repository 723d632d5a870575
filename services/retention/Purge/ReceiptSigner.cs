using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Platform.Retention.Purge;

/// <summary>
/// Signs deletion receipts with Ed25519 (seed: SHA-256 of <see cref="PurgeOptions.SigningKey"/>). A receipt is a
/// compact JSON text whose signature anyone holding <see cref="VerifierKey"/> (base64 raw public key) can check.
/// </summary>
internal sealed class ReceiptSigner : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key key;

    public ReceiptSigner(IOptions<PurgeOptions> options)
    {
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.SigningKey));
        key = Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey);
        VerifierKey = Convert.ToBase64String(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    public string VerifierKey { get; }

    /// <summary>The receipt's text (fields in a fixed order) and its base64 signature.</summary>
    public (string Text, string Signature) Sign(DeletionReceipt receipt) => SignRecord(receipt);

    /// <summary>Any receipt record (a closure's, a data-subject request's) as its JSON text and the text's base64 signature.</summary>
    public (string Text, string Signature) SignRecord<T>(T receipt)
    {
        var text = JsonSerializer.Serialize(receipt, JsonSerializerOptions.Web);
        return (text, Convert.ToBase64String(Algorithm.Sign(key, Encoding.UTF8.GetBytes(text))));
    }

    public static bool Verify(string verifierKey, string text, string signature) =>
        Algorithm.Verify(PublicKey.Import(Algorithm, Convert.FromBase64String(verifierKey), KeyBlobFormat.RawPublicKey), Encoding.UTF8.GetBytes(text), Convert.FromBase64String(signature));

    public void Dispose() => key.Dispose();
}

/// <summary>
/// What was deleted, which class, when it expired, when it was deleted, by which policy, and for an encrypted item
/// the key destroyed with it (issue 16 item 2). Version 1; the field order is the signed text's.
/// </summary>
public sealed record DeletionReceipt(
    int Version, string ItemId, string OrganizationId, string Owner, string DataClass, string? DatasetId, DateTimeOffset ExpiredAt,
    DateTimeOffset DeletedAt, string Policy, string? DestroyedKey, string PurgeId);
