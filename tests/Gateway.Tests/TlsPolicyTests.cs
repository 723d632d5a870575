using System.Security.Authentication;
using Platform.Gateway.Tls;

namespace Platform.Gateway.Tests;

public sealed class TlsPolicyTests
{
    [Fact]
    public void Only_TLS_1_2_and_1_3_are_enabled()
    {
        var options = TlsPolicy.CreateServerOptions(null!);

        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, options.EnabledSslProtocols);
    }

    [Fact]
    public void Cipher_suites_are_all_AEAD_without_CBC_SHA1_RC4_3DES_or_NULL()
    {
        var suites = TlsPolicy.CipherSuites.AllowedCipherSuites.Select(suite => suite.ToString()).ToList();

        Assert.NotEmpty(suites);
        foreach (var suite in suites)
        {
            Assert.DoesNotContain("CBC", suite);
            Assert.DoesNotContain("RC4", suite);
            Assert.DoesNotContain("3DES", suite);
            Assert.DoesNotContain("_DES_", suite);
            Assert.DoesNotContain("NULL", suite);
            Assert.DoesNotContain("EXPORT", suite);
            Assert.DoesNotContain("MD5", suite);
            // A suite named ..._SHA (no digits) uses SHA-1 for its MAC.
            Assert.False(suite.EndsWith("_SHA", StringComparison.Ordinal), $"{suite} uses SHA-1");
            Assert.True(suite.Contains("_GCM_", StringComparison.Ordinal) || suite.Contains("CHACHA20_POLY1305", StringComparison.Ordinal), $"{suite} is not AEAD");
        }
    }

    [Fact]
    public void Every_TLS_1_2_suite_has_forward_secrecy()
    {
        var tls12 = TlsPolicy.CipherSuites.AllowedCipherSuites
            .Select(suite => suite.ToString())
            .Where(suite => suite.Contains("_WITH_", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(tls12);
        Assert.All(tls12, suite => Assert.StartsWith("TLS_ECDHE_", suite));
    }

    [Fact]
    public void Server_options_ask_no_client_certificate_and_carry_the_policy()
    {
        var options = TlsPolicy.CreateServerOptions(null!);

        Assert.False(options.ClientCertificateRequired);
        Assert.Same(TlsPolicy.CipherSuites, options.CipherSuitesPolicy);
    }
}
