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
/// <remarks>
/// <c>WebApplicationBuilder.Build()</c> runs this, before <c>Program</c> has checked the configuration. So it
/// neither throws on a bad <c>Gateway</c> section (Program reports every error and exits before the server
/// starts) nor touches the certificate, which would make a development certificate for a start that is refused.
/// </remarks>
internal sealed class ListenerSetup(IOptions<GatewayOptions> options, IServiceProvider services)
    : IConfigureOptions<KestrelServerOptions>
{
    public void Configure(KestrelServerOptions kestrel)
    {
        // Nothing to gain from telling scanners which server answers.
        kestrel.AddServerHeader = false;

        GatewayOptions gateway;
        try
        {
            gateway = options.Value;
        }
        catch (Exception exception) when (exception is OptionsValidationException or InvalidOperationException)
        {
            // Program.cs reports this with every other configuration error, and the server never starts.
            return;
        }

        gateway.Limits.ApplyTo(kestrel);
        // "localhost": both loopbacks, 127.0.0.1 and ::1 (local development); else one address, such as 0.0.0.0 or ::.
        var localhost = string.Equals(gateway.BindAddress, "localhost", StringComparison.OrdinalIgnoreCase);
        void Listen(int port, Action<ListenOptions> configure)
        {
            if (localhost) kestrel.ListenLocalhost(port, configure);
            else kestrel.Listen(IPAddress.Parse(gateway.BindAddress), port, configure);
        }

        Listen(gateway.HttpsPort, listener =>
        {
            listener.Protocols = HttpProtocols.Http1AndHttp2;
            // Per connection, so a renewed certificate is picked up by the next handshake. The store is loaded at
            // start-up (UseGatewayPipeline); this only looks it up.
            listener.UseHttps(new TlsHandshakeCallbackOptions
            {
                OnConnection = _ => ValueTask.FromResult(
                    TlsPolicy.CreateServerOptions(services.GetRequiredService<ServerCertificateStore>().Current)),
            });
        });

        Listen(gateway.InternalPort, listener => listener.Protocols = HttpProtocols.Http1);
    }
}
