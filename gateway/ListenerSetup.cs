using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Options;
using Platform.Gateway.Tls;

namespace Platform.Gateway;

/// <summary>
/// The gateway's two listeners, set in code so that no URL setting (ASPNETCORE_URLS, HTTP_PORTS, --urls) can add
/// a plaintext public one: HTTPS on <c>HttpsPort</c> for everyone, plain HTTP on <c>InternalPort</c> for probes.
/// </summary>
internal sealed class ListenerSetup(IOptions<GatewayOptions> options, ServerCertificateStore certificates)
    : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        var gateway = options.Value;
        var address = IPAddress.Parse(gateway.BindAddress);

        // Nothing to gain from telling scanners which server answers.
        kestrel.AddServerHeader = false;

        kestrel.Listen(address, gateway.HttpsPort, listener =>
        {
            listener.Protocols = HttpProtocols.Http1AndHttp2;
            // Per connection, so a renewed certificate is picked up by the next handshake.
            listener.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(TlsPolicy.CreateServerOptions(certificates.Current)),
            });
        });

        kestrel.Listen(address, gateway.InternalPort, listener => listener.Protocols = HttpProtocols.Http1);
    }
}
