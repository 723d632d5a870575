using Microsoft.Extensions.Options;

namespace Platform.Identity;

/// <summary>Checks the whole <c>Identity</c> section and reports every problem at once, naming settings, never values.</summary>
internal sealed class IdentityOptionsValidator : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(options.Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme != Uri.UriSchemeHttps || issuer.Query.Length > 0)
        {
            errors.Add("Identity:Issuer must be an absolute https URL without a query (the public address of identity).");
        }

        var buffer = new byte[Math.Max(options.DataKey.Length, 1)];
        if (!Convert.TryFromBase64String(options.DataKey, buffer, out var length) || length < 32)
        {
            errors.Add("Identity:DataKey must be base64 of at least 32 random bytes (e.g. 'openssl rand -base64 32').");
        }

        Array.Clear(buffer);
        if (options.Passwords.MinLength < 12) errors.Add("Identity:Passwords:MinLength must be at least 12.");
        if (options.Passwords.MaxLength is < 64 or > 4096) errors.Add("Identity:Passwords:MaxLength must be between 64 and 4096.");
        if (options.Passwords.MemoryKiB < 19456) errors.Add("Identity:Passwords:MemoryKiB must be at least 19456 (OWASP: 19 MiB).");
        if (options.Passwords.Iterations < 2) errors.Add("Identity:Passwords:Iterations must be at least 2.");
        if (options.Lockout.Threshold is < 1 or > 100) errors.Add("Identity:Lockout:Threshold must be between 1 and 100.");
        if (options.Lockout.BaseLock <= TimeSpan.Zero || options.Lockout.MaxLock < options.Lockout.BaseLock)
        {
            errors.Add("Identity:Lockout:BaseLock must be positive and MaxLock at least BaseLock.");
        }

        if (options.Lockout.AttemptsPerIpPerMinute < 1) errors.Add("Identity:Lockout:AttemptsPerIpPerMinute must be positive.");
        if (options.Lockout.MfaThreshold is < 1 or > 20) errors.Add("Identity:Lockout:MfaThreshold must be between 1 and 20.");
        if (options.Lockout.MfaFailuresPerIp < 1) errors.Add("Identity:Lockout:MfaFailuresPerIp must be positive.");
        if (options.Lockout.MfaIpWindow < TimeSpan.FromMinutes(1) || options.Lockout.MfaIpWindow > TimeSpan.FromDays(1))
        {
            errors.Add("Identity:Lockout:MfaIpWindow must be between 1 minute and 1 day.");
        }
        if (options.Tokens.AccessTokenLifetime < TimeSpan.FromMinutes(1) || options.Tokens.AccessTokenLifetime > TimeSpan.FromHours(1))
        {
            errors.Add("Identity:Tokens:AccessTokenLifetime must be between 1 minute and 1 hour.");
        }

        if (options.Tokens.SigningKeyRotation < TimeSpan.FromHours(1)) errors.Add("Identity:Tokens:SigningKeyRotation must be at least 1 hour.");
        if (string.IsNullOrWhiteSpace(options.Tokens.Audience)) errors.Add("Identity:Tokens:Audience is required.");
        if (options.Sso.LoginLifetime < TimeSpan.FromMinutes(1) || options.Sso.LoginLifetime > TimeSpan.FromHours(1)) errors.Add("Identity:Sso:LoginLifetime must be between 1 minute and 1 hour.");
        if (options.Sso.ClockSkew < TimeSpan.Zero || options.Sso.ClockSkew > TimeSpan.FromMinutes(10)) errors.Add("Identity:Sso:ClockSkew must be between 0 and 10 minutes.");
        if (string.IsNullOrWhiteSpace(options.Mail.Folder) && string.IsNullOrWhiteSpace(options.Mail.SmtpHost))
        {
            errors.Add("Identity:Mail needs Folder (development) or SmtpHost (production): verification and reset mails must go somewhere.");
        }

        for (var index = 0; index < options.FirstPartyClients.Count; index++)
        {
            var client = options.FirstPartyClients[index];
            var path = $"Identity:FirstPartyClients:{index}";
            if (!System.Text.RegularExpressions.Regex.IsMatch(client.ClientId ?? "", "^[a-z][a-z0-9-]{2,59}$")) errors.Add($"{path}:ClientId must be 3 to 60 lower-case letters, digits or dashes (not a cli_ id).");
            if (client.ClientSecret is not { Length: >= 32 }) errors.Add($"{path}:ClientSecret must have at least 32 characters.");
            if (client.RedirectUris.Count == 0 || client.RedirectUris.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.Fragment.Length > 0))
                errors.Add($"{path}:RedirectUris needs at least one absolute https URI without a fragment.");
            if (client.PostLogoutRedirectUris.Any(u => !Uri.TryCreate(u, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps || uri.Fragment.Length > 0))
                errors.Add($"{path}:PostLogoutRedirectUris must be absolute https URIs without a fragment.");
            if (client.AccessTokenLifetime is { } lifetime && (lifetime < TimeSpan.FromMinutes(1) || lifetime > TimeSpan.FromHours(1)))
                errors.Add($"{path}:AccessTokenLifetime must be between 1 minute and 1 hour.");
        }

        if (options.FirstPartyClients.Select(c => c.ClientId).Distinct(StringComparer.Ordinal).Count() != options.FirstPartyClients.Count) errors.Add("Identity:FirstPartyClients ids must be unique.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
