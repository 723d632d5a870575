using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Security.Gateway;

/// <summary>
/// The console's word to the gateway for the browser it calls on behalf of (issue 19: an organization's IP allowlist
/// then applies to the person's address, not the console's). The console has that address from the gateway's own
/// signed <c>X-Platform-Client-Address</c> and sends it back on its API calls, signed with a key only the console and
/// the gateway hold (<c>console-forwarding-key</c>), over the method, the request target, the address and a hash of
/// the request's <c>Authorization</c> (so a signature works only with the token it was made for), for a minute.
/// The gateway believes the address only with a good signature; without one the headers are dropped and the
/// connection's address counts, whoever sent them.
/// <code>X-Platform-Forwarded-Client: 203.0.113.7
/// X-Platform-Forwarded-Client-Signature: t=&lt;unix seconds&gt;,v1=&lt;base64url HMAC-SHA256&gt;</code>
/// </summary>
public static class ForwardedClient
{
    public const string AddressHeader = "X-Platform-Forwarded-Client";
    public const string SignatureHeader = "X-Platform-Forwarded-Client-Signature";
    private const string CredentialItem = "X-Platform-Forwarded-Credential";

    public static string Sign(ReadOnlySpan<byte> key, long unixSeconds, string method, string requestTarget, string address, string? authorization) =>
        GatewaySignature.Sign(key, unixSeconds, method, requestTarget, Covered(address, authorization));

    public static bool Verify(ReadOnlySpan<byte> key, string? signature, DateTimeOffset now, TimeSpan maxAge, string method, string requestTarget, string address, string? authorization) =>
        GatewaySignature.Verify(key, signature, now, maxAge, method, requestTarget, Covered(address, authorization));

    private static KeyValuePair<string, string>[] Covered(string address, string? authorization) =>
        [KeyValuePair.Create(AddressHeader, address), KeyValuePair.Create(CredentialItem, Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(authorization ?? ""))))];
}
