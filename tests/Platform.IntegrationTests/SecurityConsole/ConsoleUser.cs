using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using OtpNet;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// A person in a browser without JavaScript: signs up and in at identity (its JSON API, same cookies), then uses the
/// console's pages and forms through the gateway, following every redirect (the OpenID Connect round trip included).
/// </summary>
internal sealed partial class ConsoleUser
{
    public const string Password = "correct horse battery staple 42";

    private List<string> recoveryCodes = [];

    private ConsoleUser(HttpClient browser, CookieContainer cookies, string email)
    {
        Browser = browser;
        Cookies = cookies;
        Email = email;
    }

    public HttpClient Browser { get; }

    public CookieContainer Cookies { get; }

    public string Email { get; }

    public string? OrganizationId { get; private set; }

    public static HttpClient NewBrowser(PlatformFixture fixture, CookieContainer cookies, bool followRedirects = true)
    {
        var handler = fixture.App.CreateHandler("gateway");
        handler.AllowAutoRedirect = followRedirects;
        handler.MaxAutomaticRedirections = 20;
        handler.CookieContainer = cookies;
        var client = fixture.App.CreateHttpClient("gateway", handler: handler);
        // A page is several round trips (the OpenID Connect one included) on a busy two-core machine.
        client.Timeout = TimeSpan.FromSeconds(120);
        return client;
    }

    /// <summary>Signed up, verified and signed in at identity (password only); with an organization of their own when asked.</summary>
    public static async Task<ConsoleUser> SignedUpAsync(PlatformFixture fixture, string? organization = "Acme", string prefix = "user")
    {
        var cookies = new CookieContainer();
        var user = new ConsoleUser(NewBrowser(fixture, cookies), cookies, $"{prefix}-{Guid.NewGuid():n}@example.com");
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

        if (organization is not null)
        {
            using var created = await user.Browser.PostAsJsonAsync("/v1/organizations", new { name = organization });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            user.OrganizationId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        }

        return user;
    }

    public async Task EnrolTotpAndStepUpAsync()
    {
        using var begin = await Browser.PostAsync("/v1/me/mfa/totp", null);
        Assert.Equal(HttpStatusCode.OK, begin.StatusCode);
        var secret = Base32Encoding.ToBytes((await begin.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("manualKey").GetString()!);
        using var confirm = await Browser.PostAsJsonAsync("/v1/me/mfa/totp/confirm", new { code = new Totp(secret).ComputeTotp(DateTime.UtcNow) });
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        recoveryCodes = (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(e => e.GetString()!).ToList();
        await StepUpAsync();
    }

    /// <summary>A second factor on the identity session (a recovery code: the TOTP code just used cannot be used again).</summary>
    public async Task StepUpAsync()
    {
        var recoveryCode = recoveryCodes[0];
        recoveryCodes.RemoveAt(0);
        using var response = await Browser.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>
    /// The same person signed in at identity from another browser (its own cookies, redirects not followed), with the
    /// password and a recovery code as second factor (TOTP enrolled).
    /// </summary>
    public async Task<HttpClient> SignedInElsewhereAsync(PlatformFixture fixture, string? userAgent = null)
    {
        var browser = NewBrowser(fixture, new CookieContainer(), followRedirects: false);
        if (userAgent is not null) browser.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        using (var signIn = await browser.PostAsJsonAsync("/v1/session", new { email = Email, password = Password }))
        {
            Assert.Equal("mfa-required", (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        using var mfa = await browser.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = TakeRecoveryCode() });
        Assert.Equal(HttpStatusCode.OK, mfa.StatusCode);
        return browser;
    }

    /// <summary>One of the recovery codes shown at enrolment, used up (e.g. to sign in on another device).</summary>
    public string TakeRecoveryCode()
    {
        var code = recoveryCodes[0];
        recoveryCodes.RemoveAt(0);
        return code;
    }

    /// <summary>A console page (GET, redirects followed): the final status, address and HTML.</summary>
    public async Task<Page> GetAsync(string path)
    {
        using var response = await Browser.GetAsync(path);
        return await Page.ReadAsync(response);
    }

    /// <summary>Posts a form of <paramref name="page"/> (its anti-forgery token included unless told not to).</summary>
    public async Task<Page> PostAsync(string action, Page page, IEnumerable<KeyValuePair<string, string>> fields, bool withAntiforgery = true)
    {
        var form = fields.ToList();
        if (withAntiforgery) form.Add(new("__console_af", page.Antiforgery));
        using var response = await Browser.PostAsync(action, new FormUrlEncodedContent(form));
        return await Page.ReadAsync(response);
    }

    internal sealed partial record Page(int Status, Uri Address, string Html, string? CacheControl, string? Csp)
    {
        public static async Task<Page> ReadAsync(HttpResponseMessage response) => new(
            (int)response.StatusCode, response.RequestMessage!.RequestUri!, await response.Content.ReadAsStringAsync(),
            response.Headers.CacheControl?.ToString(), response.Headers.TryGetValues("Content-Security-Policy", out var csp) ? csp.First() : null);

        public string Antiforgery => BrowserForms.Hidden(Html, "__console_af");

        /// <summary>The sign-out form's fields for identity's end-session endpoint, as a browser submits them.</summary>
        public KeyValuePair<string, string>[] SignOutFields =>
            [new("client_id", BrowserForms.Hidden(Html, "client_id")), new("post_logout_redirect_uri", BrowserForms.Hidden(Html, "post_logout_redirect_uri"))];

        public string? Text(string id) => Regex.Match(Html, $"id=\"{Regex.Escape(id)}\"[^>]*>(?<text>[^<]*)<") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["text"].Value) : null;

        public string? Value(string id) => Regex.Match(Html, $"id=\"{Regex.Escape(id)}\"[^>]*value=\"(?<value>[^\"]*)\"") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["value"].Value) : null;
    }
}
