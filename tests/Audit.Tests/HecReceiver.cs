using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Audit.Tests;

/// <summary>
/// A Splunk HTTP Event Collector stand-in that speaks the real protocol over real HTTPS: Kestrel on loopback with a
/// self-signed certificate, <c>POST /services/collector/event</c> with <c>Authorization: Splunk &lt;token&gt;</c>,
/// events as JSON objects one after another; 200 <c>{"text":"Success","code":0}</c> once taken, 401/403 as Splunk
/// answers a missing or wrong token. It can be stopped mid-stream and started again on the same port.
/// </summary>
internal sealed class HecReceiver : IAsyncDisposable
{
    private readonly X509Certificate2 certificate;
    private readonly List<JsonElement> events = [];
    private WebApplication? app;

    private HecReceiver(string token)
    {
        Token = token;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
        CaCertificatePem = certificate.ExportCertificatePem();
    }

    public string Token { get; }

    public string CaCertificatePem { get; }

    public int Port { get; private set; }

    public IReadOnlyList<JsonElement> Events
    {
        get { lock (events) return [.. events]; }
    }

    public static async Task<HecReceiver> StartAsync(string token)
    {
        var receiver = new HecReceiver(token);
        await receiver.StartAgainAsync();
        return receiver;
    }

    public async Task StartAgainAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, Port, listen => listen.UseHttps(certificate)));
        app = builder.Build();
        app.MapPost("/services/collector/event", Collect);
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
    }

    /// <summary>Stops at once: connections in flight are cut, as when the collector goes down.</summary>
    public async Task StopAsync()
    {
        if (app is null) return;
        using var now = new CancellationTokenSource(TimeSpan.Zero);
        await app.StopAsync(now.Token);
        await app.DisposeAsync();
        app = null;
    }

    private async Task<IResult> Collect(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Splunk ", StringComparison.Ordinal)) return Results.Json(new { text = "Token is required", code = 2 }, statusCode: 401);
        if (authorization["Splunk ".Length..] != Token) return Results.Json(new { text = "Invalid token", code = 4 }, statusCode: 403);
        using var body = new StreamReader(request.Body);
        var text = await body.ReadToEndAsync();
        var received = new List<JsonElement>();
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text), new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var document = JsonDocument.ParseValue(ref reader);
            received.Add(document.RootElement.Clone());
        }

        lock (events) events.AddRange(received);
        return Results.Json(new { text = "Success", code = 0 });
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        certificate.Dispose();
    }
}
