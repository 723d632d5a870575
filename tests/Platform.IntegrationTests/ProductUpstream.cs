using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.IntegrationTests;

/// <summary>
/// Plays the customer's product API behind the gateway: it answers every request with the headers it received,
/// so tests can see exactly what the gateway passes upstream.
/// </summary>
public sealed class ProductUpstream : IAsyncDisposable
{
    private readonly WebApplication app;

    private ProductUpstream(WebApplication app, Uri address)
    {
        this.app = app;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<ProductUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.Run(context => context.Response.WriteAsJsonAsync(new
        {
            method = context.Request.Method,
            path = context.Request.Path.Value,
            headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()),
        }));
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        return new ProductUpstream(app, address);
    }

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}
