using System.Buffers;
using Microsoft.Extensions.Options;
using Platform.Security.Gateway;
using Yarp.ReverseProxy.Transforms;


namespace Platform.Gateway.Upstreams;

/// <summary><c>Gateway:UpstreamSigning</c>: the key upstreams share with the gateway to check its <c>X-Platform-*</c> headers.</summary>
internal sealed class UpstreamSigningOptions : GatewaySigningOptions
{
    public const string SectionName = "Gateway:UpstreamSigning";
}

/// <summary>
/// Signs what the gateway tells every upstream (<see cref="GatewaySignature"/>): the last request transform, so the
/// signature covers the headers and path exactly as they leave. Clients' own <c>X-Platform-*</c> headers, the
/// signature included, were removed on the way in (CredentialRuleMiddleware).
/// </summary>
internal sealed class UpstreamSigner(IOptions<UpstreamSigningOptions> options, TimeProvider time)
{
    private readonly byte[] key = options.Value.Enabled ? options.Value.KeyBytes : [];

    public bool Enabled { get; } = options.Value.Enabled;

    public ValueTask SignAsync(RequestTransformContext context)
    {
        var request = context.ProxyRequest;
        request.Headers.Remove(GatewaySignature.Header);
        // The raw values, as they go on the wire: enumerating the validated view would parse every proxied header.
        // Collected into a pooled array: this runs for every proxied request.
        var covered = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(16);
        var count = 0;
        foreach (var (name, values) in request.Headers.NonValidated)
        {
            if (!GatewaySignature.Covers(name)) continue;
            if (count == covered.Length)
            {
                var larger = ArrayPool<KeyValuePair<string, string>>.Shared.Rent(count * 2);
                covered.AsSpan(0, count).CopyTo(larger);
                ArrayPool<KeyValuePair<string, string>>.Shared.Return(covered, clearArray: true);
                covered = larger;
            }

            covered[count++] = KeyValuePair.Create(name, values.ToString());
        }

        // The method as it leaves: a HEAD may go upstream as a GET (UpstreamTransforms).
        var signature = GatewaySignature.Sign(key, time.GetUtcNow().ToUnixTimeSeconds(), request.Method.Method,
            context.Path.Value, context.Query.QueryString.Value, covered.AsSpan(0, count));
        ArrayPool<KeyValuePair<string, string>>.Shared.Return(covered, clearArray: true);
        request.Headers.TryAddWithoutValidation(GatewaySignature.Header, signature);
        return ValueTask.CompletedTask;
    }
}

internal static class UpstreamSigningExtensions
{
    public static IHostApplicationBuilder AddUpstreamSigning(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UpstreamSigningOptions>().BindConfiguration(UpstreamSigningOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<UpstreamSigningOptions>>(
            new GatewaySigningOptionsValidator<UpstreamSigningOptions>(UpstreamSigningOptions.SectionName));
        builder.Services.AddSingleton<UpstreamSigner>();
        return builder;
    }
}
