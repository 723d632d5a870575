using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// Not our own client: openid-client, otplib and Chromium (Playwright) against the service on Kestrel over HTTPS
/// (issue #5 item 7). The script prints one RESULT line per check; every expected check must be there and pass.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class IndependentClientTests(IdentityFixture fixture)
{
    private static readonly string[] expected =
    [
        "signup-weak-password-refused", "signup-page", "verify-email-page", "signin-page", "organization-created",
        "enrol-page-has-qr-code", "mfa-enrolled-with-ten-recovery-codes", "step-up-required", "step-up-completed",
        "clients-created", "discovery", "consent-page", "redirected-with-code", "code-pkce-tokens", "refresh-rotated",
        "refresh-reuse-refused", "family-revoked-after-reuse", "family-access-token-inactive", "introspection-active",
        "revoked-token-inactive", "client-credentials", "client-credentials-introspection-active", "client-credentials-token-not-stored",
        "unknown-scope-refused", "retired-platform-scope-refused", "client-credentials-scope-and-audience", "consent-names-owner",
        "token-scopes-as-consented", "cross-organization-consent-page", "cross-organization-refused-without-explicit-choice",
        "cross-organization-granted-explicitly",
    ];

    [Fact]
    public async Task Chromium_and_openid_client_sign_in_enrol_MFA_step_up_and_run_every_grant_over_HTTPS()
    {
        await NodeClients.InstallAsync();
        var address = await fixture.StartHttpsAsync();
        var (exitCode, output) = await NodeClients.RunAsync("node", ["flow.mjs"], TimeSpan.FromMinutes(3), new Dictionary<string, string>
        {
            ["IDENTITY_URL"] = address.ToString(),
            ["MAIL_DIR"] = fixture.MailFolder,
            ["NODE_EXTRA_CA_CERTS"] = fixture.CertificatePath,
        });

        var results = output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l["RESULT ".Length..]).RootElement)
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r);
        foreach (var name in expected)
        {
            Assert.True(results.TryGetValue(name, out var check), $"Check '{name}' did not run.\n{output}");
            Assert.True(check.GetProperty("ok").GetBoolean(), $"Check '{name}' failed: {check}\n{output}");
        }

        Assert.Equal(0, exitCode);

        // The token contract the gateway relies on.
        var claims = JsonDocument.Parse(output.Split('\n').Single(l => l.StartsWith("CLAIMS ", StringComparison.Ordinal))["CLAIMS ".Length..]).RootElement;
        Assert.StartsWith("usr_", claims.GetProperty("sub").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("org_", claims.GetProperty("org_id").GetString(), StringComparison.Ordinal);
        Assert.Equal(["Owner"], claims.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.Equal(["pwd", "otp", "mfa"], claims.GetProperty("amr").EnumerateArray().Select(r => r.GetString()!).ToArray());
        Assert.Equal(JsonValueKind.Number, claims.GetProperty("auth_time").ValueKind);
        Assert.Equal(address.ToString(), claims.GetProperty("iss").GetString());
        var audience = claims.GetProperty("aud");
        Assert.Equal("platform-api", audience.ValueKind == JsonValueKind.Array ? audience[0].GetString() : audience.GetString());
        Assert.Contains("platform.keys", claims.GetProperty("scope").GetString()!.Split(' '));
        Assert.DoesNotContain("email", claims.EnumerateObject().Select(p => p.Name));

        // No token (JWS or JWE: codes, access, refresh and identity tokens all start with a JOSE header) in any log line.
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains("eyJhbGci", StringComparison.Ordinal));

        // The reused refresh token revoked its family, and the audit trail says so in the name of the family's user and
        // organization (the tokens' own subject and org_id), not only of the client.
        var revoked = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.token_family.revoked");
        Assert.True(revoked.GetProperty("actor").GetString() == claims.GetProperty("sub").GetString(), revoked.GetRawText());
        Assert.Equal(claims.GetProperty("org_id").GetString(), revoked.GetProperty("organizationId").GetString());
        Assert.Equal("refresh-token-reuse", revoked.GetProperty("details").GetProperty("reason").GetString());
        Assert.False(string.IsNullOrEmpty(revoked.GetProperty("details").GetProperty("client_id").GetString()));

        // Each second factor that passed is an action too: the sign-in's and the step-up's.
        var steppedUp = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.mfa.succeeded"
            && e.GetProperty("actor").GetString() == claims.GetProperty("sub").GetString()
            && e.GetProperty("details").GetProperty("purpose").GetString() == "step-up");
        Assert.Equal("success", steppedUp.GetProperty("outcome").GetString());
    }
}
