using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using Platform.Storage.Crypto;

namespace Platform.Storage.Keys;

/// <summary>A transit ciphertext that is malformed, from another organization or context, or altered.</summary>
internal sealed class TransitCiphertextException() : Exception("The ciphertext is not valid for this organization and context.");

/// <summary>
/// Encryption as a service for other services (SPEC ENC-API), with the organization's key directly. Ciphertexts read
/// <c>pvt:v&lt;version&gt;:&lt;base64url(nonce ‖ ciphertext ‖ tag)&gt;</c>; the associated data binds organization, purpose,
/// version and the caller's encryption context, which must be given again to decrypt.
/// </summary>
internal sealed class TransitCipher(OrganizationKeyRing ring)
{
    private const string Prefix = "pvt:v";

    /// <param name="caller">The calling service (its actor): recorded as holding a ciphertext under the version (<see cref="TransitSeals"/>).</param>
    public async Task<string> EncryptAsync(string organizationId, ReadOnlyMemory<byte> plaintext, IReadOnlyDictionary<string, string> context, string caller, CancellationToken cancellationToken)
    {
        var (version, key) = await ring.ForEncryptionAsync(organizationId, cancellationToken, transitCaller: caller);
        var sealedBytes = Aead.Seal(key, plaintext.Span, AssociatedData.For(Purposes.Transit, organizationId, "-", version, context));
        return $"{Prefix}{version.ToString(CultureInfo.InvariantCulture)}:{Base64Url.EncodeToString(sealedBytes)}";
    }

    public async Task<byte[]> DecryptAsync(string organizationId, string ciphertext, IReadOnlyDictionary<string, string> context, CancellationToken cancellationToken)
    {
        var (version, sealedBytes) = Parse(ciphertext);
        byte[] key;
        try
        {
            key = await ring.ForDecryptionAsync(organizationId, version, cancellationToken);
        }
        catch (KeyUnavailableException exception) when (exception.Reason is KeyUnavailableReason.UnknownVersion or KeyUnavailableReason.UnknownOrganization)
        {
            throw new TransitCiphertextException();
        }

        return Aead.Open(key, sealedBytes, AssociatedData.For(Purposes.Transit, organizationId, "-", version, context)) ?? throw new TransitCiphertextException();
    }

    public async Task<(byte[] Plaintext, string Ciphertext)> GenerateDataKeyAsync(string organizationId, IReadOnlyDictionary<string, string> context, string caller, CancellationToken cancellationToken)
    {
        var dataKey = RandomNumberGenerator.GetBytes(Aead.KeyBytes);
        return (dataKey, await EncryptAsync(organizationId, dataKey, context, caller, cancellationToken));
    }

    public async Task<string> RewrapAsync(string organizationId, string ciphertext, IReadOnlyDictionary<string, string> context, string caller, CancellationToken cancellationToken)
    {
        var plaintext = await DecryptAsync(organizationId, ciphertext, context, cancellationToken);
        try
        {
            return await EncryptAsync(organizationId, plaintext, context, caller, cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    public static int VersionOf(string ciphertext) => Parse(ciphertext).Version;

    private static (int Version, byte[] Sealed) Parse(string ciphertext)
    {
        if (!ciphertext.StartsWith(Prefix, StringComparison.Ordinal)) throw new TransitCiphertextException();
        var colon = ciphertext.IndexOf(':', Prefix.Length);
        if (colon < 0 || !int.TryParse(ciphertext.AsSpan(Prefix.Length, colon - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new TransitCiphertextException();
        }

        try
        {
            return (version, Base64Url.DecodeFromChars(ciphertext.AsSpan(colon + 1)));
        }
        catch (FormatException)
        {
            throw new TransitCiphertextException();
        }
    }
}
