using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Platform.Residency.Scans;

/// <summary>
/// Signs leak-scan reports as C2SP signed notes with Ed25519, in the audit checkpoints' format: the note's text is
/// the line <c>platform.dev/residency-scan/v1</c> and the report as one line of JSON, then an empty line and
/// "— &lt;name&gt; &lt;base64(key hash ‖ signature)&gt;", the key hash being the first 4 bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). Verifier keys read "&lt;name&gt;+&lt;hex key hash&gt;+&lt;base64(0x01 ‖ public key)&gt;".
/// </summary>
internal sealed class ReportSigner : IDisposable
{
    private const byte Ed25519Type = 0x01;
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Key key;
    private readonly string name;
    private readonly byte[] keyHash;

    public ReportSigner(IOptions<ResidencyOptions> options)
    {
        var settings = options.Value.Reports;
        name = settings.KeyName;
        key = Key.Import(Algorithm, SHA256.HashData(Encoding.UTF8.GetBytes(settings.SigningKey)), KeyBlobFormat.RawPrivateKey);
        var publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        keyHash = SHA256.HashData([.. Encoding.UTF8.GetBytes(name), (byte)'\n', Ed25519Type, .. publicKey])[..4];
        VerifierKey = $"{name}+{Convert.ToHexStringLower(keyHash)}+{Convert.ToBase64String([Ed25519Type, .. publicKey])}";
        VerifierKeys = [VerifierKey, .. settings.PreviousVerifierKeys.Where(k => k != VerifierKey)];
    }

    public string VerifierKey { get; }

    /// <summary>The current verifier key first, then those of earlier keys.</summary>
    public IReadOnlyList<string> VerifierKeys { get; }

    public string Sign(ScanReport report)
    {
        var text = $"{ScanReport.FormatName}\n{JsonSerializer.Serialize(report, Json)}\n";
        var signature = Algorithm.Sign(key, Encoding.UTF8.GetBytes(text));
        return $"{text}\n\u2014 {name} {Convert.ToBase64String([.. keyHash, .. signature])}\n";
    }

    public void Dispose() => key.Dispose();
}
