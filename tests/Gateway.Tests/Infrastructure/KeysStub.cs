using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>
/// The keys service's internal endpoints as the gateway calls them: it verifies the keys it was given (until they are
/// revoked), counts the verifications it answered, and gives every organization an open network policy.
/// </summary>
public sealed class KeysStub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);
    private int _verifications;

    private KeysStub(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public int Verifications => Volatile.Read(ref _verifications);

    /// <summary>A new key in the shape the gateway accepts, with its key id.</summary>
    public (string Key, string KeyId) Issue()
    {
        var key = "sk_live_" + Guid.NewGuid().ToString("n") + "ABCDEF";
        var keyId = $"key_{Guid.NewGuid():n}";
        _keys[key] = keyId;
        return (key, keyId);
    }

    public void Revoke(string key) => _revoked[key] = 0;

    public static async Task<KeysStub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var stub = new KeysStub(app);
        app.MapPost("/internal/v1/keys/verify", async (HttpContext context) =>
        {
            Interlocked.Increment(ref stub._verifications);
            var body = await context.Request.ReadFromJsonAsync<VerifyRequest>();
            return body?.Key is { } key && stub._keys.TryGetValue(key, out var keyId) && !stub._revoked.ContainsKey(key)
                ? Results.Json(new { valid = true, keyId, organizationId = "org_edge", environment = "live", scopes = Array.Empty<object>() })
                : Results.Json(new { valid = false, reason = "revoked" });
        });
        app.MapGet("/internal/v1/organizations/{organization}/network-policy", () => Results.Json(new { allowedCidrs = Array.Empty<string>() }));
        app.MapPost("/internal/v1/keys/usage", () => Results.Ok());
        await app.StartAsync();
        stub.Address = new Uri(app.Urls.First());
        return stub;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private sealed record VerifyRequest(string? Key);
}
