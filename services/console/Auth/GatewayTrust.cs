using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Platform.SecurityConsole.Auth;

/// <summary>
/// How the console trusts the gateway's certificate on its own calls (token endpoint, APIs): the system's trust
/// store, and locally also exactly the gateway's development certificate (pinned by hash, read when first needed:
/// the gateway makes it on its first run), never "accept anything".
/// </summary>
internal sealed class GatewayTrust(IOptions<ConsoleOptions> options)
{
    private string? pinnedHash;

    public SocketsHttpHandler CreateHandler() => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
    };

    private bool Validate(object sender, X509Certificate? presented, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (presented is null || options.Value.GatewayCertificatePath is not { Length: > 0 } path) return false;
        if (pinnedHash is null && File.Exists(path))
        {
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            pinnedHash = certificate.GetCertHashString();
        }

        return pinnedHash is not null && presented.GetCertHashString() == pinnedHash;
    }
}
