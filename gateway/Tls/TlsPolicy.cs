using System.Net.Security;
using System.Security.Authentication;

namespace Platform.Gateway.Tls;

/// <summary>
/// The public listener's TLS settings: TLS 1.2 and 1.3 only, with Mozilla's "intermediate" cipher suites.
/// </summary>
internal static class TlsPolicy
{
    public const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    // Mozilla Server Side TLS, "intermediate" (https://wiki.mozilla.org/Security/Server_Side_TLS), without the DHE
    // suites: every client that intermediate supports also speaks ECDHE. All are AEAD with forward secrecy, so no
    // RC4, 3DES, CBC-SHA1, MD5, export or NULL suite can be negotiated. The repository targets Linux, where
    // OpenSSL enforces this list for TLS 1.2 and 1.3 alike.
    public static CipherSuitesPolicy CipherSuites { get; } = new(
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]);

    public static SslServerAuthenticationOptions CreateServerOptions(SslStreamCertificateContext certificate) => new()
    {
        ServerCertificateContext = certificate,
        EnabledSslProtocols = Protocols,
        CipherSuitesPolicy = CipherSuites,
        ClientCertificateRequired = false,
        // Left null, Kestrel fills in ALPN (h2, http/1.1) from the listener's protocols.
        ApplicationProtocols = null,
    };
}
