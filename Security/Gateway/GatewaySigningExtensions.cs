using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Security.Gateway;

namespace Microsoft.Extensions.Hosting;

public static class GatewaySigningExtensions
{
    /// <summary>Registers <see cref="GatewaySignatureVerifier"/> with <c>GatewaySigning</c>, validated at start-up.</summary>
    public static IHostApplicationBuilder AddGatewaySignatureVerification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewaySigningOptions>().BindConfiguration(GatewaySignatureVerifier.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewaySigningOptions>>(
            new GatewaySigningOptionsValidator<GatewaySigningOptions>(GatewaySignatureVerifier.SectionName));
        builder.Services.AddSingleton<GatewaySignatureVerifier>();
        return builder;
    }
}
