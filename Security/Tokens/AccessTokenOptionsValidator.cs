using Microsoft.Extensions.Options;

namespace Platform.Security.Tokens;

/// <summary>Checks access-token options bound from <paramref name="section"/>, reporting every error at once.</summary>
internal sealed class AccessTokenOptionsValidator<TOptions>(string section) : IValidateOptions<TOptions>
    where TOptions : AccessTokenOptions
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        options.Validate(section).ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
