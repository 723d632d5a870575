using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// OAuth clients in the console (issue 19 item 2): a secret rotated with an overlap window — the old secret still
/// authenticates until the window ends, then is refused; a later rotation ends an earlier window — and a deleted
/// client's refresh token refused. An overlap out of range is explained with its request id and changes nothing.
/// </summary>
[Collection(Collections.Console)]
public sealed class ClientsThroughConsoleTests(PlatformFixture fixture)
{
    [Fact]
    public async Task A_rotated_secret_works_until_its_overlap_ends_and_a_deleted_clients_refresh_token_is_refused()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Clients");
        await owner.EnrolTotpAndStepUpAsync();
        var org = owner.OrganizationId!;
        var clientsPath = $"/console/o/{org}/clients";
        var clients = await owner.GetAsync(clientsPath);
        var created = await owner.PostAsync(clientsPath, clients, [new("name", "nightly export"), new("type", "machine"), new("scopes", "platform.keys")]);
        Assert.Equal(201, created.Status);
        var clientId = created.Text("new-client-id")!;
        var first = created.Value("new-client-secret")!;
        Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, first));

        // An overlap of an hour: both secrets work; the page says until when the old one does.
        var listed = await owner.GetAsync(clientsPath);
        Assert.Contains($"id=\"overlap-{clientId}\"", listed.Html);
        var rotated = await owner.PostAsync($"{clientsPath}/{clientId}/rotate", listed, [new("overlapSeconds", "3600")]);
        Assert.Equal(200, rotated.Status);
        Assert.Equal("no-store", rotated.CacheControl);
        var second = rotated.Value("new-client-secret")!;
        Assert.StartsWith("The old secret keeps working until ", rotated.Text("previous-secret"));
        Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, first));
        Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, second));

        // Out of range: the API's refusal in words with its request id; nothing rotated.
        var tooLong = await owner.PostAsync($"{clientsPath}/{clientId}/rotate", listed, [new("overlapSeconds", "999999999")]);
        Assert.Equal(400, tooLong.Status);
        Assert.NotNull(tooLong.Text("request-id"));
        Assert.Null(tooLong.Value("new-client-secret"));
        Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, second));

        // A rotation with a two-second overlap (the API): the first secret's window ends at once (one overlap at a
        // time), the second works until its window ends, then is refused; the third goes on.
        string third;
        using (var api = await owner.Browser.PostAsJsonAsync($"/v1/organizations/{org}/clients/{clientId}/rotate-secret", new { overlapSeconds = 2 }))
        {
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
            Assert.Equal("no-store", api.Headers.CacheControl?.ToString());
            var body = await api.Content.ReadFromJsonAsync<JsonElement>();
            third = body.GetProperty("clientSecret").GetString()!;
            Assert.Equal(JsonValueKind.String, body.GetProperty("previousSecretValidUntil").ValueKind);
        }

        Assert.NotEqual(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, first));
        var refusedAfter = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, second));
        while (await ClientCredentialsAsync(clientId, second) == HttpStatusCode.OK)
        {
            Assert.True(refusedAfter.Elapsed < TimeSpan.FromSeconds(30), "the old secret still works long after its overlap ended");
            await Task.Delay(250);
        }

        Assert.Equal(HttpStatusCode.OK, await ClientCredentialsAsync(clientId, third));

        // A web client whose user holds a refresh token; deleted in the console, the refresh token is refused.
        var web = await IdentityUser.For(fixture, owner.Browser, owner.Email).CreateClientAsync(org, "customer portal");
        using var browser = ConsoleUser.NewBrowser(fixture, new CookieContainer(), followRedirects: false);
        using (var signIn = await browser.PostAsJsonAsync("/v1/session", new { email = owner.Email, password = ConsoleUser.Password }))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        using (var mfa = await browser.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = owner.TakeRecoveryCode() }))
        {
            Assert.Equal(HttpStatusCode.OK, mfa.StatusCode);
        }

        var (location, verifier) = await IdentityUser.For(fixture, browser, owner.Email).AuthorizeAsync(web, IdentityUser.AllScopes);
        var tokens = await TokenAsync(browser, web, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = QueryHelpers.ParseQuery(location.Query)["code"].ToString(),
            ["redirect_uri"] = IdentityUser.RedirectUri,
            ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var refreshed = await TokenAsync(browser, web, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.Body.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);

        var beforeDelete = await owner.GetAsync(clientsPath);
        var deleted = await owner.PostAsync($"{clientsPath}/{web.Id}/delete", beforeDelete, []);
        Assert.Equal(200, deleted.Status);
        Assert.DoesNotContain(web.Id, deleted.Html);
        var afterDelete = await TokenAsync(browser, web, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshed.Body.GetProperty("refresh_token").GetString()! });
        Assert.NotEqual(HttpStatusCode.OK, afterDelete.Status);
        Assert.Contains(afterDelete.Body.GetProperty("error").GetString(), new[] { "invalid_client", "invalid_grant" });
    }

    private async Task<HttpStatusCode> ClientCredentialsAsync(string clientId, string secret)
    {
        using var browser = ConsoleUser.NewBrowser(fixture, new CookieContainer(), followRedirects: false);
        using var answer = await browser.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = "platform.keys",
        }));
        return answer.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(HttpClient browser, (string Id, string Secret) client, Dictionary<string, string> form)
    {
        form["client_id"] = client.Id;
        form["client_secret"] = client.Secret;
        using var response = await browser.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
