using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Platform.Ctl.Audit;

/// <summary>
/// C2SP signed-note verification with Ed25519 verifier keys <c>name+hex(key hash)+base64(0x01 ‖ public key)</c>,
/// key hash = the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); a signature line is
/// "— name base64(key hash ‖ signature)".
/// </summary>
internal static class SignedNote
{
    public sealed record VerifierKey(string Name, byte[] Hash, PublicKey Key);

    public static VerifierKey? ParseKey(string text)
    {
        var parts = text.Trim().Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8) return null;
        try
        {
            var blob = Convert.FromBase64String(parts[2]);
            if (blob.Length != 33 || blob[0] != 0x01) return null;
            var hash = Convert.FromHexString(parts[1]);
            var expected = SHA256.HashData([.. Encoding.UTF8.GetBytes(parts[0]), (byte)'\n', .. blob])[..4];
            if (!hash.AsSpan().SequenceEqual(expected)) return null;
            return new VerifierKey(parts[0], hash, PublicKey.Import(SignatureAlgorithm.Ed25519, blob.AsSpan(1), KeyBlobFormat.RawPublicKey));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>The note's text when one of its signatures is by one of <paramref name="keys"/>, with that key's name; else null.</summary>
    public static (string Text, string KeyName)? Open(string note, IReadOnlyList<VerifierKey> keys)
    {
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0 || !note.EndsWith('\n')) return null;
        var text = note[..(split + 1)];
        var bytes = Encoding.UTF8.GetBytes(text);
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "\u2014") continue;
            byte[] blob;
            try { blob = Convert.FromBase64String(parts[2]); }
            catch (FormatException) { continue; }
            if (blob.Length != 68) continue;
            foreach (var key in keys.Where(k => k.Name == parts[1] && k.Hash.AsSpan().SequenceEqual(blob.AsSpan(0, 4))))
            {
                if (SignatureAlgorithm.Ed25519.Verify(key.Key, bytes, blob.AsSpan(4))) return (text, key.Name);
            }
        }

        return null;
    }
}
