using Microsoft.Extensions.Options;

namespace Platform.Security.Gateway;

/// <summary>Checks signing options bound from <paramref name="section"/>, reporting every error at once.</summary>
public sealed class GatewaySigningOptionsValidator<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : GatewaySigningOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        options.Validate(section).ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
