using Platform.Security.Gateway;

namespace Platform.Bench.StorageThroughput;

/// <summary>
/// Signs each request's <c>X-Platform-*</c> headers as the gateway does (<see cref="GatewaySignature"/>): the storage
/// service believes them only under the gateway's signature.
/// </summary>
internal sealed class GatewaySigningHandler(byte[] key) : DelegatingHandler(new SocketsHttpHandler())
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers
            .Where(h => h.Key.StartsWith("X-Platform-", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string>(h.Key, string.Join(',', h.Value)))
            .ToList();
        request.Headers.Remove(GatewaySignature.Header);
        request.Headers.Add(GatewaySignature.Header, GatewaySignature.Sign(key, TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(),
            request.Method.Method, request.RequestUri!.PathAndQuery, headers));
        return base.SendAsync(request, cancellationToken);
    }
}
