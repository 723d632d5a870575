using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Platform.Security.Gateway;

/// <summary>A service's check that the <c>X-Platform-*</c> headers of a request were signed by the gateway (<see cref="GatewaySignature"/>).</summary>
public sealed class GatewaySignatureVerifier(IOptions<GatewaySigningOptions> options, TimeProvider time)
{
    public const string SectionName = "GatewaySigning";
    private readonly GatewaySigningOptions settings = options.Value;
    private readonly byte[] key = options.Value.Enabled ? options.Value.KeyBytes : [];

    /// <summary>False when no key is configured: the service then trusts the headers, as before signing existed.</summary>
    public bool Enabled => settings.Enabled;

    public bool Verify(HttpRequest request) =>
        request.Headers[GatewaySignature.Header] is [{ } signature]
        && GatewaySignature.Verify(key, signature, time.GetUtcNow(), settings.MaxAge, request.Method,
            request.Path.Value + request.QueryString.Value,
            request.Headers.Where(h => GatewaySignature.Covers(h.Key)).Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())));
}
