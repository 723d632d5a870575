using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// The baseline: YARP and nothing else — one route, one destination, Kestrel HTTPS (HTTP/1.1 and HTTP/2) with a
/// self-signed P-256 certificate like the gateway's development one, logging at Warning. It runs in a process of
/// its own (this program with the <c>bare-yarp</c> argument) so its CPU can be read apart from the load generator's.
/// </summary>
internal static class BareYarp
{
    public const string Argument = "bare-yarp";

    /// <summary>Serves until standard input closes (the parent exited), printing its address first.</summary>
    public static async Task<int> ServeAsync(string upstream)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
        using var certificate = SelfSigned();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listener =>
            {
                listener.Protocols = HttpProtocols.Http1AndHttp2;
                listener.UseHttps(certificate);
            });
        });
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "datasets", ClusterId = "product", Match = new RouteMatch { Path = "/v1/datasets/{**rest}" } }],
            [new ClusterConfig { ClusterId = "product", Destinations = new Dictionary<string, DestinationConfig> { ["primary"] = new() { Address = upstream } } }]);

        await using var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        Console.WriteLine(app.Urls.First());
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.Now;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        // Through PFX so that the private key is usable by SslStream on Linux.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), password: null);
    }
}
