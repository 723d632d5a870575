using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

/// <summary>
/// Owners and Admins manage their organization's keys with identity access tokens (SPEC ID-ORG, ID-MFA): the service
/// checks the token itself — signature, audience, lifetime — then the organization, the role and a recent MFA.
/// </summary>
[Collection(KeysServiceCollection.Name)]
public sealed class UserTokenTests(KeysServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Theory]
    [InlineData("Owner")]
    [InlineData("Admin")]
    public async Task An_owner_or_admin_with_a_recent_mfa_manages_the_organizations_keys_and_is_named_as_their_creator(string role)
    {
        var organization = NewOrganization();
        using var user = fixture.UserClient(organization, [role]);

        var key = await user.CreateKeyAsync(organization);

        Assert.Equal("usr_keys_tests", key.GetProperty("createdBy").GetString());
        var listed = await user.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        Assert.Equal(key.Id(), listed.GetProperty("items")[0].Id());
        using var policy = await user.PutAsync($"/v1/organizations/{organization}/network-policy", Json(new { allowedCidrs = new[] { "203.0.113.0/24" } }));
        Assert.Equal(HttpStatusCode.OK, policy.StatusCode);
    }

    [Theory]
    [InlineData("Developer")]
    [InlineData("Viewer")]
    public async Task Other_roles_are_refused_and_nothing_is_created(string role)
    {
        var organization = NewOrganization();
        using var user = fixture.UserClient(organization, [role]);

        using var response = await user.PostAsJsonAsync($"/v1/organizations/{organization}/keys", Body());

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "insufficient-role");
        await AssertNoKeysAsync(organization);
    }

    [Fact]
    public async Task Another_organizations_owner_is_refused()
    {
        var organization = NewOrganization();
        using var stranger = fixture.UserClient(NewOrganization(), ["Owner"]);

        using var response = await stranger.PostAsJsonAsync($"/v1/organizations/{organization}/keys", Body());

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden");
        await AssertNoKeysAsync(organization);
    }

    [Fact]
    public async Task Without_a_second_factor_or_with_one_older_than_15_minutes_the_answer_asks_for_a_step_up()
    {
        var organization = NewOrganization();
        using var passwordOnly = fixture.UserClient(organization, ["Owner"], mfa: false);
        using var stale = fixture.UserClient(organization, ["Owner"], authenticatedAgo: TimeSpan.FromMinutes(16));

        foreach (var client in new[] { passwordOnly, stale })
        {
            using var response = await client.PostAsJsonAsync($"/v1/organizations/{organization}/keys", Body());
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "step-up-required");
            var challenge = Assert.Single(response.Headers.WwwAuthenticate).ToString();
            Assert.Contains("insufficient_user_authentication", challenge, StringComparison.Ordinal);
            Assert.Contains("max_age=900", challenge, StringComparison.Ordinal);
        }

        await AssertNoKeysAsync(organization);
    }

    [Fact]
    public async Task Tokens_that_are_expired_for_another_audience_or_signed_by_another_key_are_refused()
    {
        var organization = NewOrganization();
        var stranger = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = AccessTokens.SigningKey.KeyId };
        string[] tokens =
        [
            AccessTokens.Create(fixture.Clock, organization, ["Owner"], true, TimeSpan.FromMinutes(20), lifetime: TimeSpan.FromMinutes(-2)),
            AccessTokens.Create(fixture.Clock, organization, ["Owner"], true, TimeSpan.FromMinutes(1), audience: "another-api"),
            AccessTokens.Create(fixture.Clock, organization, ["Owner"], true, TimeSpan.FromMinutes(1), key: stranger),
        ];

        foreach (var token in tokens)
        {
            using var client = fixture.Client(token);
            using var response = await client.PostAsJsonAsync($"/v1/organizations/{organization}/keys", Body());
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid-token");
        }

        await AssertNoKeysAsync(organization);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Problems + type, problem.GetProperty("type").GetString());
    }

    private async Task AssertNoKeysAsync(string organization)
    {
        using var root = fixture.Client();
        var listed = await root.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        Assert.Empty(listed.GetProperty("items").EnumerateArray());
    }
}
