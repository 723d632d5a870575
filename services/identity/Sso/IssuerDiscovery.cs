using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Identity.Sso;

/// <summary>What an issuer publishes (OpenID Connect Discovery 1.0): read when a connection is created and its JWKS at each sign-in.</summary>
internal sealed record IssuerMetadata(string Issuer, string AuthorizationEndpoint, string TokenEndpoint, string JwksUri, string? UserinfoEndpoint = null);

/// <summary>Reads an issuer's discovery document and keys, over https only (http on loopback where a test allows it).</summary>
internal sealed class IssuerDiscovery(IHttpClientFactory clients, IOptions<IdentityOptions> options)
{
    public const string HttpClientName = "sso";
    private const int MaxDocument = 256 * 1024;

    /// <returns>The metadata, or the reason it cannot be used (shown to the Owner; no secret in it).</returns>
    public async Task<(IssuerMetadata? Metadata, string? Error)> DiscoverAsync(string issuer, CancellationToken cancellationToken)
    {
        if (!IsAllowedUrl(issuer)) return (null, "The issuer must be an https URL.");
        var address = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        JsonElement document;
        try
        {
            document = await GetJsonAsync(address, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or InvalidOperationException)
        {
            return (null, $"The issuer's discovery document could not be read ({address}).");
        }

        string? Read(string name) => document.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var published = Read("issuer");
        // OpenID Connect Discovery 1.0 section 4.3: the issuer in the document is exactly the one configured.
        if (published is null || published != issuer) return (null, "The discovery document names another issuer.");
        var authorization = Read("authorization_endpoint");
        var token = Read("token_endpoint");
        var jwks = Read("jwks_uri");
        if (!IsAllowedUrl(authorization) || !IsAllowedUrl(token) || !IsAllowedUrl(jwks)) return (null, "The discovery document lacks https authorization, token or JWKS endpoints.");
        if (document.TryGetProperty("code_challenge_methods_supported", out var methods) && methods.ValueKind == JsonValueKind.Array
            && !methods.EnumerateArray().Any(m => m.ValueKind == JsonValueKind.String && m.GetString() == "S256"))
        {
            return (null, "The issuer does not support PKCE with S256.");
        }

        // Optional (Discovery 4.2 "RECOMMENDED"); an endpoint that is not https (or loopback http in tests) is ignored.
        var userinfo = Read("userinfo_endpoint") is { } u && IsAllowedUrl(u) ? u : null;
        var metadata = new IssuerMetadata(issuer, authorization!, token!, jwks!, userinfo);
        return await SigningKeysAsync(metadata, cancellationToken) is { Count: > 0 }
            ? (metadata, null)
            : (null, "The issuer's JWKS could not be read or has no signing keys.");
    }

    /// <summary>The issuer's current signing keys (read at each sign-in, so a key rollover at the IdP needs nothing here).</summary>
    public async Task<IReadOnlyList<SecurityKey>?> SigningKeysAsync(IssuerMetadata metadata, CancellationToken cancellationToken)
    {
        try
        {
            var text = (await GetJsonAsync(metadata.JwksUri, cancellationToken)).GetRawText();
            var set = new JsonWebKeySet(text);
            var keys = set.Keys.Where(k => k.Use is null or "sig").ToList<SecurityKey>();
            return keys;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    public bool IsAllowedUrl(string? url)
    {
        if (url is not { Length: > 0 and <= 2048 } || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0) return false;
        if (uri.Scheme == Uri.UriSchemeHttps) return true;
        return uri.Scheme == Uri.UriSchemeHttp && options.Value.Sso.AllowLoopbackHttpIssuers
            && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var ip) && IPAddress.IsLoopback(ip)));
    }

    private async Task<JsonElement> GetJsonAsync(string address, CancellationToken cancellationToken)
    {
        using var client = clients.CreateClient(HttpClientName);
        using var response = await client.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > MaxDocument) throw new InvalidOperationException("Too large.");
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[MaxDocument + 1];
        var length = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
            if (length > MaxDocument) throw new InvalidOperationException("Too large.");
        }

        using var parsed = JsonDocument.Parse(buffer.AsMemory(0, length));
        return parsed.RootElement.Clone();
    }
}
