using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using OtpNet;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests;

/// <summary>
/// A person using the identity service through the gateway, as a browser without JavaScript would: signs up, reads
/// the verification mail, signs in, and gets access tokens by authorization code + PKCE from a client of an
/// organization.
/// </summary>
internal sealed class IdentityUser
{
    public const string Password = "correct horse battery staple 42";
    public const string RedirectUri = "https://app.example/cb";

    private readonly PlatformFixture fixture;
    private List<string> recoveryCodes = [];

    private IdentityUser(PlatformFixture fixture, HttpClient browser, string email)
    {
        this.fixture = fixture;
        Browser = browser;
        Email = email;
    }

    /// <summary>The user's browser: cookies kept, redirects not followed.</summary>
    public HttpClient Browser { get; }

    public string Email { get; }

    /// <summary>The scopes a console client asks for: everything a user token can open.</summary>
    public const string AllScopes = "openid offline_access platform.keys platform.secrets platform.organizations platform.audit";

    /// <summary>The TOTP secret, once enrolled (what the user's authenticator app holds).</summary>
    public byte[]? TotpSecret { get; private set; }

    /// <summary>An already signed-in browser (its own cookies, redirects not followed) acting as this helper's user.</summary>
    public static IdentityUser For(PlatformFixture fixture, HttpClient browser, string email) => new(fixture, browser, email);

    /// <summary>A signed-up, verified, signed-in user (password only) who owns a new organization.</summary>
    /// <param name="handler">The browser's connection (e.g. from its own client address); a fresh one by default.</param>
    public static async Task<(IdentityUser User, string OrganizationId)> OwnerAsync(PlatformFixture fixture, SocketsHttpHandler? handler = null)
    {
        handler ??= fixture.App.CreateHandler("gateway");
        handler.AllowAutoRedirect = false;
        handler.CookieContainer = new CookieContainer();
        var user = new IdentityUser(fixture, fixture.App.CreateHttpClient("gateway", handler: handler), $"owner-{Guid.NewGuid():n}@example.com");

        using (var signUp = await user.Browser.PostAsJsonAsync("/v1/accounts", new { email = user.Email, password = Password }))
        {
            Assert.Equal(HttpStatusCode.Accepted, signUp.StatusCode);
        }

        var code = BrowserForms.CodeIn(await fixture.MailToAsync(user.Email, "Verify your email"));
        using (var verify = await user.Browser.PostAsJsonAsync("/v1/accounts/verify-email", new { token = code }))
        {
            Assert.Equal(HttpStatusCode.NoContent, verify.StatusCode);
        }

        using (var signIn = await user.Browser.PostAsJsonAsync("/v1/session", new { email = user.Email, password = Password }))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        using var created = await user.Browser.PostAsJsonAsync("/v1/organizations", new { name = "Acme" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (user, (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
    }

    /// <summary>Enrols TOTP (codes from the manual key, as an authenticator app computes them) and keeps the recovery codes.</summary>
    public async Task EnrolTotpAsync()
    {
        using var begin = await Browser.PostAsync("/v1/me/mfa/totp", null);
        Assert.Equal(HttpStatusCode.OK, begin.StatusCode);
        var secret = Base32Encoding.ToBytes((await begin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("manualKey").GetString()!);
        TotpSecret = secret;
        using var confirm = await Browser.PostAsJsonAsync("/v1/me/mfa/totp/confirm", new { code = new Totp(secret).ComputeTotp(TimeProvider.System.GetUtcNow().UtcDateTime) });
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        recoveryCodes = (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>
    /// Passes the second factor on the signed-in session. A recovery code, because the TOTP code just used for the
    /// enrolment cannot be used twice and the next one is up to 30 s away.
    /// </summary>
    public async Task StepUpAsync()
    {
        var recoveryCode = recoveryCodes[0];
        recoveryCodes.RemoveAt(0);
        using var response = await Browser.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A confidential web client of <paramref name="organizationId"/> (needs a recent step-up): id and secret.</summary>
    public async Task<(string Id, string Secret)> CreateClientAsync(string organizationId, string name = "console")
    {
        using var response = await Browser.PostAsJsonAsync($"/v1/organizations/{organizationId}/clients",
            new { name, type = "web", scopes = AllScopes.Split(' '), redirectUris = new[] { RedirectUri } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var client = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!);
    }

    /// <summary>Authorization code + PKCE (S256) with the consent form if shown; the access token the client receives.</summary>
    /// <remarks>When the client belongs to another organization, the user ticks that organization on the consent page.</remarks>
    public async Task<string> AccessTokenAsync((string Id, string Secret) client, string scope = AllScopes, IReadOnlyDictionary<string, string>? extra = null)
    {
        var (location, verifier) = await AuthorizeAsync(client, scope, extra: extra);
        Assert.StartsWith(RedirectUri, location.ToString(), StringComparison.Ordinal);
        var code = QueryHelpers.ParseQuery(location.Query)["code"].ToString();
        using var token = await Browser.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = RedirectUri,
            ["code_verifier"] = verifier,
            ["client_id"] = client.Id,
            ["client_secret"] = client.Secret,
        }));
        Assert.True(token.IsSuccessStatusCode, $"token: {(int)token.StatusCode} {await token.Content.ReadAsStringAsync()}");
        return (await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
    }

    /// <summary>
    /// The authorization request, with Allow on the consent page if it is shown (and the page's other-organization
    /// choice ticked when <paramref name="confirmOtherOrganization"/>); where the client is finally sent, and the PKCE verifier.
    /// </summary>
    public async Task<(Uri Location, string Verifier)> AuthorizeAsync((string Id, string Secret) client, string scope, bool confirmOtherOrganization = true,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        var verifier = BrowserForms.Base64Url(RandomNumberGenerator.GetBytes(32));
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = client.Id,
            ["response_type"] = "code",
            ["redirect_uri"] = RedirectUri,
            ["scope"] = scope,
            ["state"] = "s1",
            ["code_challenge"] = BrowserForms.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>()) query[name] = value;
        var location = await RedirectAsync(await Browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", query)));
        if (location.AbsolutePath == "/consent")
        {
            LastConsentPage = await Browser.GetStringAsync(location.PathAndQuery);
            var form = new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = BrowserForms.Hidden(LastConsentPage, "__RequestVerificationToken"),
                ["returnUrl"] = BrowserForms.Hidden(LastConsentPage, "returnUrl"),
                ["decision"] = "allow",
            };
            var choice = System.Text.RegularExpressions.Regex.Match(LastConsentPage, "name=\"actIn\" value=\"(?<org>[^\"]+)\"");
            if (confirmOtherOrganization && choice.Success) form["actIn"] = choice.Groups["org"].Value;
            using var consent = await Browser.PostAsync("/consent", new FormUrlEncodedContent(form));
            location = await RedirectAsync(await Browser.GetAsync((await RedirectAsync(consent)).PathAndQuery));
        }

        return (location, verifier);
    }

    /// <summary>The last consent page shown to this user, as the browser received it.</summary>
    public string? LastConsentPage { get; private set; }

    /// <summary>The token's payload, decoded (not validated: the gateway and the services do that).</summary>
    public static JsonElement Claims(string jwt)
    {
        var part = jwt.Split('.')[1];
        return JsonDocument.Parse(Base64UrlTextEncoder.Decode(part)).RootElement;
    }

    private static async Task<Uri> RedirectAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther,
                $"Expected a redirect, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            return new Uri(new Uri("https://localhost/"), response.Headers.Location!);
        }
    }

}
