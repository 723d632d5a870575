using Yarp.ReverseProxy.Transforms;

namespace Platform.Gateway.Upstreams;

/// <summary>
/// What the gateway changes on the way to an upstream and back, in this order (the signature last, so that it covers
/// the request exactly as it leaves):
/// <list type="number">
/// <item>the principal's <c>X-Platform-*</c> headers (<see cref="PrincipalHeaders"/>);</item>
/// <item>on a cluster whose metadata says <c>HeadAsGet: true</c> (services that answer GET only), a HEAD goes
/// upstream as a GET, and its body is dropped on the way back (<c>HeadRequests</c>): HEAD works wherever GET does;</item>
/// <item>the signature (<see cref="UpstreamSigner"/>);</item>
/// <item>on every answer, the upstream's <c>Server</c> header is removed: it tells scanners what runs behind.</item>
/// </list>
/// </summary>
internal static class UpstreamTransforms
{
    public static IReverseProxyBuilder AddUpstreamTransforms(this IReverseProxyBuilder proxy) =>
        proxy.AddTransforms(context =>
        {
            context.AddRequestTransform(PrincipalHeaders.AddAsync);
            if (context.Cluster?.Metadata is { } metadata && metadata.TryGetValue("HeadAsGet", out var headAsGet) && bool.TryParse(headAsGet, out var enabled) && enabled)
            {
                context.AddRequestTransform(static transform =>
                {
                    if (transform.ProxyRequest.Method == HttpMethod.Head) transform.ProxyRequest.Method = HttpMethod.Get;
                    return ValueTask.CompletedTask;
                });
            }

            var signer = context.Services.GetRequiredService<UpstreamSigner>();
            if (signer.Enabled) context.AddRequestTransform(signer.SignAsync);
            context.AddResponseHeaderRemove("Server", ResponseCondition.Always);
        });
}
