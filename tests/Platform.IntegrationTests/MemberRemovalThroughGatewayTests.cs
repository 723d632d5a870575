using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// Issue 18 item 4 end to end through the gateway over HTTPS: an Owner removes a member, and the API key that member
/// created in the organization stops working at the gateway (identity's <c>identity.member.deprovisioned</c>, handled
/// by keys), while the key the same person created in their own organization keeps working. Before, an ordinary
/// removal left the removed member's keys working.
/// </summary>
[Collection(Collections.Platform)]
public sealed class MemberRemovalThroughGatewayTests(PlatformFixture fixture)
{
    [Fact]
    public async Task A_removed_member_s_keys_in_that_organization_are_refused_and_their_own_organization_s_are_not()
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        var client = await owner.CreateClientAsync(organization);
        var (person, own) = await IdentityUser.OwnerAsync(fixture);
        using (var invite = await owner.Browser.PostAsJsonAsync($"/v1/organizations/{organization}/invitations", new { email = person.Email, role = "Admin" }))
        {
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        }

        var invitation = Platform.Hosting.Testing.BrowserForms.CodeIn(await fixture.MailToAsync(person.Email, "invited"));
        using (var accept = await person.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = invitation }))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }

        await person.EnrolTotpAsync();
        await person.StepUpAsync();
        var there = await KeyAsync(await person.AccessTokenAsync(client, extra: new Dictionary<string, string> { ["organization"] = organization }), organization);
        var ownClient = await person.CreateClientAsync(own);
        var home = await KeyAsync(await person.AccessTokenAsync(ownClient, extra: new Dictionary<string, string> { ["organization"] = own }), own);
        Assert.Equal(HttpStatusCode.OK, await UseAsync(there));

        var members = await owner.Browser.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/members");
        var personId = members.GetProperty("items").EnumerateArray().Single(m => m.GetProperty("email").GetString() == person.Email).GetProperty("userId").GetString();
        using (var removed = await owner.Browser.DeleteAsync($"/v1/organizations/{organization}/members/{personId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        var waited = Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            await Task.Delay(200);
            status = await UseAsync(there);
        }
        while (status == HttpStatusCode.OK && waited.Elapsed < TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(HttpStatusCode.OK, await UseAsync(home));
    }

    private async Task<string> KeyAsync(string accessToken, string organization)
    {
        using var console = fixture.App.CreateHttpClient("gateway");
        console.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var key = await console.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "member's key",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
        });
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        return (await key.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private async Task<HttpStatusCode> UseAsync(string key)
    {
        using var product = fixture.App.CreateHttpClient("gateway");
        product.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        using var used = await product.GetAsync("/v1/datasets/ds_1");
        return used.StatusCode;
    }
}
