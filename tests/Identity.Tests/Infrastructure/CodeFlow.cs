using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Hosting.Testing;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// Authorization code + PKCE (S256) driven through the in-process service with a user's cookies, as a browser would
/// without JavaScript: the authorize request, the consent form (anti-forgery token read from the page), the code grant.
/// </summary>
public sealed class CodeFlow(HttpClient browser, string clientId, string clientSecret, string redirectUri)
{
    public const string RedirectUri = "https://app.example/cb";

    /// <summary>An Owner with TOTP and a fresh step-up, their organization and a confidential web client of it.</summary>
    public static async Task<(TestUser Admin, string OrgId, CodeFlow Flow)> CreateAsync(IdentityFixture fixture)
    {
        var admin = await TestUser.CreateAsync(fixture);
        await admin.EnrolTotpAsync();
        var orgId = await admin.CreateOrganizationAsync();
        await admin.StepUpAsync();
        var response = await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients",
            new { name = "web", type = "web", scopes = new[] { "openid", "offline_access", "platform.keys", "platform.secrets", "platform.organizations", "platform.audit" }, redirectUris = new[] { RedirectUri } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var client = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (admin, orgId, new CodeFlow(admin.Http, client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!, RedirectUri));
    }

    /// <summary>What <see cref="AuthorizeAsync"/> asks for unless the extra parameters say otherwise.</summary>
    public const string Scope = "openid offline_access platform.keys platform.secrets platform.organizations platform.audit";

    public string ClientId { get; } = clientId;

    public HttpClient Browser { get; } = browser;

    /// <summary>
    /// Whether the user ticks the organization on the consent page when the client belongs to another one (a user who
    /// means to grant it); false clicks Allow alone.
    /// </summary>
    public bool ConfirmsOtherOrganization { get; init; } = true;

    /// <summary>The authorize request with the consent given if asked; returns where the service finally redirects to.</summary>
    public async Task<(Uri Location, string Verifier)> AuthorizeAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = redirectUri,
            ["scope"] = Scope,
            ["state"] = "s1",
            ["code_challenge"] = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>()) query[name] = value;
        return (await ContinueAsync(QueryHelpers.AddQueryString("/connect/authorize", query)), verifier);
    }

    /// <summary>Requests an authorize URL, gives the consent if asked, and returns where the service redirects to.</summary>
    public async Task<Uri> ContinueAsync(string authorizeUrl)
    {
        var response = await Browser.GetAsync(authorizeUrl);
        var location = Location(response);
        if (location.AbsolutePath == "/consent")
        {
            var page = await (await Browser.GetAsync(location.PathAndQuery)).Content.ReadAsStringAsync();
            var form = new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = Hidden(page, "__RequestVerificationToken"),
                ["returnUrl"] = Hidden(page, "returnUrl"),
                ["decision"] = "allow",
            };
            var choice = System.Text.RegularExpressions.Regex.Match(page, "name=\"actIn\" value=\"(?<org>[^\"]+)\"");
            if (ConfirmsOtherOrganization && choice.Success) form["actIn"] = choice.Groups["org"].Value;
            var consent = await Browser.PostAsync("/consent", new FormUrlEncodedContent(form));
            response = await Browser.GetAsync(Location(consent).PathAndQuery);
            location = Location(response);
        }

        return location;
    }

    /// <summary>The whole flow: authorize (with consent) and redeem the code; fails the test unless tokens come back.</summary>
    public async Task<JsonElement> TokensAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var (location, verifier) = await AuthorizeAsync(extra);
        var code = QueryHelpers.ParseQuery(location.Query).TryGetValue("code", out var value) ? value.ToString() : null;
        Assert.True(code is not null, $"No code in {location}");
        var response = await TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code!,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    public Task<HttpResponseMessage> RefreshAsync(string refreshToken) =>
        TokenAsync(new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken });

    public Task<HttpResponseMessage> TokenAsync(Dictionary<string, string> form)
    {
        form["client_id"] = ClientId;
        form["client_secret"] = clientSecret;
        return Browser.PostAsync("/connect/token", new FormUrlEncodedContent(form));
    }

    public async Task<bool> IntrospectActiveAsync(string token)
    {
        var response = await Browser.PostAsync("/connect/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = ClientId,
            ["client_secret"] = clientSecret,
            ["token"] = token,
        }));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("active").GetBoolean();
    }

    public static JsonElement Payload(string jwt)
    {
        return JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[1])).RootElement;
    }

    public static async Task<string?> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).TryGetProperty("error", out var error) ? error.GetString() : null;

    private static Uri Location(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode is HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther, $"Expected a redirect, got {(int)response.StatusCode}");
        return new Uri(new Uri("https://localhost/"), response.Headers.Location!);
    }

    public static string Hidden(string page, string name) => BrowserForms.Hidden(page, name);

    private static string Base64Url(byte[] bytes) => BrowserForms.Base64Url(bytes);
}
