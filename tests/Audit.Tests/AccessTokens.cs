using Microsoft.IdentityModel.Tokens;
using Platform.Hosting.Testing;

namespace Platform.Audit.Tests;

/// <summary>The harness's <see cref="IdentityTokens"/>, with this project's subject and scopes unless a test names others.</summary>
public static class AccessTokens
{
    public const string Issuer = IdentityTokens.Issuer;
    public const string JwksUrl = IdentityTokens.JwksUrl;

    public static ECDsaSecurityKey SigningKey => IdentityTokens.SigningKey;

    public static string Create(TimeProvider clock, string organization, string[] roles, bool mfa, TimeSpan authenticatedAgo,
        string subject = "usr_audit_tests", string audience = "platform-api", SecurityKey? key = null, TimeSpan? lifetime = null,
        string scope = "platform.audit") =>
        IdentityTokens.Create(clock, organization, roles, mfa, authenticatedAgo, subject, scope, audience, key, lifetime);
}
