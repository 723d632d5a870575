using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Gateway;

namespace Microsoft.Extensions.Hosting;

public static class GatewaySigningExtensions
{
    /// <summary>Registers <see cref="GatewaySignatureVerifier"/> with <c>GatewaySigning</c>, validated at start-up.</summary>
    public static IHostApplicationBuilder AddGatewaySignatureVerification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewaySigningOptions>().BindConfiguration(GatewaySignatureVerifier.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewaySigningOptions>>(new GatewaySigningOptionsValidator(GatewaySignatureVerifier.SectionName));
        builder.Services.AddSingleton<GatewaySignatureVerifier>();
        return builder;
    }

    public sealed class GatewaySigningOptionsValidator(string section) : IValidateOptions<GatewaySigningOptions>
    {
        public ValidateOptionsResult Validate(string? name, GatewaySigningOptions options)
        {
            var errors = options.Validate(section).ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
