using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Platform.Audit.Checkpoints;

/// <summary>
/// C2SP signed-note signatures with Ed25519: a note is its text, an empty line, and lines
/// "— &lt;name&gt; &lt;base64(key hash ‖ signature)&gt;", where the key hash is the first 4 bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). Verifier keys are published as "&lt;name&gt;+&lt;hex key hash&gt;+&lt;base64(0x01 ‖ public key)&gt;".
/// </summary>
internal sealed class NoteSigner : IDisposable
{
    private const byte Ed25519Type = 0x01;
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key key;
    private readonly string name;

    public NoteSigner(IOptions<CheckpointOptions> options)
    {
        var settings = options.Value;
        name = settings.KeyName;
        var seed = SHA256.HashData(Encoding.UTF8.GetBytes(settings.SigningKey));
        key = Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        KeyHash = KeyHashOf(name, publicKey);
        VerifierKey = $"{name}+{Convert.ToHexStringLower(KeyHash)}+{Convert.ToBase64String([Ed25519Type, .. publicKey])}";
        VerifierKeys = [VerifierKey, .. settings.PreviousVerifierKeys.Where(k => k != VerifierKey)];
    }

    /// <summary>The verifier key of the current signing key.</summary>
    public string VerifierKey { get; }

    /// <summary>The current verifier key first, then those of earlier keys.</summary>
    public IReadOnlyList<string> VerifierKeys { get; }

    public byte[] KeyHash { get; }

    /// <summary>The signed note: <paramref name="text"/> (ending in a newline), an empty line, one signature line.</summary>
    public string Sign(string text)
    {
        if (!text.EndsWith('\n')) throw new ArgumentException("A note's text ends with a newline.", nameof(text));
        var signature = Algorithm.Sign(key, Encoding.UTF8.GetBytes(text));
        return $"{text}\n\u2014 {name} {Convert.ToBase64String([.. KeyHash, .. signature])}\n";
    }

    /// <summary>Whether <paramref name="note"/> carries a valid signature by one of <paramref name="verifierKeys"/>; its text then.</summary>
    public static string? Verify(string note, IEnumerable<string> verifierKeys)
    {
        var split = note.LastIndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) return null;
        var text = note[..(split + 1)];
        var keys = verifierKeys.Select(ParseVerifierKey).OfType<(string Name, byte[] Hash, PublicKey Key)>().ToList();
        foreach (var line in note[(split + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || parts[0] != "\u2014") continue;
            byte[] blob;
            try { blob = Convert.FromBase64String(parts[2]); }
            catch (FormatException) { continue; }
            if (blob.Length != 4 + 64) continue;
            foreach (var candidate in keys.Where(k => k.Name == parts[1] && k.Hash.AsSpan().SequenceEqual(blob.AsSpan(0, 4))))
            {
                if (Algorithm.Verify(candidate.Key, Encoding.UTF8.GetBytes(text), blob.AsSpan(4))) return text;
            }
        }

        return null;
    }

    public static (string Name, byte[] Hash, PublicKey Key)? ParseVerifierKey(string verifierKey)
    {
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3 || parts[1].Length != 8) return null;
        try
        {
            var blob = Convert.FromBase64String(parts[2]);
            if (blob.Length != 33 || blob[0] != Ed25519Type) return null;
            var hash = Convert.FromHexString(parts[1]);
            if (!hash.AsSpan().SequenceEqual(KeyHashOf(parts[0], blob[1..]))) return null;
            return (parts[0], hash, PublicKey.Import(Algorithm, blob.AsSpan(1), KeyBlobFormat.RawPublicKey));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] KeyHashOf(string keyName, ReadOnlySpan<byte> publicKey) =>
        SHA256.HashData([.. Encoding.UTF8.GetBytes(keyName), (byte)'\n', Ed25519Type, .. publicKey])[..4];

    public void Dispose() => key.Dispose();
}
