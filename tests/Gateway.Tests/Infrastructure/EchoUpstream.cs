using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>An upstream behind the gateway that answers with the headers it received and the size of the body it read.</summary>
public sealed class EchoUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoUpstream(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<EchoUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.Limits.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.Run(async context =>
        {
            long bodyBytes = 0;
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer)) > 0) bodyBytes += read;
            await context.Response.WriteAsJsonAsync(new
            {
                path = context.Request.Path.Value,
                bodyBytes,
                headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
            });
        });
        await app.StartAsync();
        return new EchoUpstream(app, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
