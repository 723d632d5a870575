using Microsoft.Extensions.Options;

namespace Platform.SecurityConsole;

/// <summary>Checks the whole <c>Console</c> section at start-up, naming settings, never values.</summary>
internal sealed class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsoleOptions options)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url) || url.Scheme != Uri.UriSchemeHttps || url.PathAndQuery != "/")
            errors.Add("Console:PublicUrl must be the platform's public https address (identity's issuer), e.g. https://localhost:8443/.");
        if (string.IsNullOrWhiteSpace(options.ClientId)) errors.Add("Console:ClientId is required (the console's client at identity).");
        if (options.ClientSecret is not { Length: >= 32 }) errors.Add("Console:ClientSecret must have at least 32 characters.");
        var buffer = new byte[options.DataKey.Length];
        if (!Convert.TryFromBase64String(options.DataKey, buffer, out var length) || length < 32) errors.Add("Console:DataKey must be base64 of at least 32 bytes.");
        if (options.ForwardingKey is { Length: > 0 } forwarding && !(Convert.TryFromBase64String(forwarding, new byte[forwarding.Length], out var forwardingLength) && forwardingLength >= 32))
            errors.Add("Console:ForwardingKey must be base64 of at least 32 bytes.");
        if (options.GatewayCertificatePath is { Length: > 0 } path && !Path.IsPathFullyQualified(path)) errors.Add("Console:GatewayCertificatePath must be an absolute path.");
        if (options.SessionIdleTimeout < TimeSpan.FromMinutes(5) || options.SessionIdleTimeout > TimeSpan.FromDays(1)) errors.Add("Console:SessionIdleTimeout must be 5 minutes to 1 day.");
        if (options.RefreshMargin < TimeSpan.Zero || options.RefreshMargin > TimeSpan.FromMinutes(5)) errors.Add("Console:RefreshMargin must be 0 to 5 minutes.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
