using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;
using Platform.IntegrationTests.Security;

namespace Platform.IntegrationTests.Retention;

/// <summary>
/// People of an organization as the retention API sees them through the gateway: an Owner with a fresh second factor
/// and a console client, and members invited with another role (without a second factor), each with an access token
/// for <c>platform.organizations</c> from that client.
/// </summary>
internal sealed class RetentionOrganization
{
    public const string Scope = "openid platform.organizations";

    private RetentionOrganization(PlatformFixture fixture, IdentityUser owner, string id, (string Id, string Secret) client, string ownerToken)
    {
        Fixture = fixture;
        Owner = owner;
        Id = id;
        Client = client;
        OwnerToken = ownerToken;
    }

    public PlatformFixture Fixture { get; }

    public IdentityUser Owner { get; }

    public string Id { get; }

    public (string Id, string Secret) Client { get; }

    public string OwnerToken { get; }

    /// <summary>The owner's user id (the token's subject).</summary>
    public string OwnerUserId => IdentityUser.Claims(OwnerToken).GetProperty("sub").GetString()!;

    public static async Task<RetentionOrganization> CreateAsync(PlatformFixture fixture)
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture, ClientAddresses.Handler(fixture, ClientAddresses.Fresh()));
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        var client = await owner.CreateClientAsync(organization);
        return new RetentionOrganization(fixture, owner, organization, client, await owner.AccessTokenAsync(client, Scope));
    }

    /// <summary>The gateway with the owner's token (or <paramref name="token"/>).</summary>
    public HttpClient Api(string? token = null)
    {
        var api = Fixture.App.CreateHttpClient("gateway");
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token ?? OwnerToken);
        return api;
    }

    /// <summary>A new member with <paramref name="role"/>, signed in with a password only, and their token from the owner's client.</summary>
    public async Task<string> MemberTokenAsync(string role) => (await MemberAsync(role)).Token;

    /// <summary>
    /// A new member with <paramref name="role"/> and their token for <paramref name="scope"/> from the owner's client;
    /// with <paramref name="mfa"/> they enrol a second factor and use it first (a fresh step-up). They also own an
    /// organization of their own (<c>OwnOrganization</c>), as everyone who signs up does.
    /// </summary>
    public async Task<(IdentityUser Member, string Token, string OwnOrganization)> MemberAsync(string role, bool mfa = false, string scope = Scope)
    {
        var (member, own) = await IdentityUser.OwnerAsync(Fixture, ClientAddresses.Handler(Fixture, ClientAddresses.Fresh()));
        if (mfa) await member.EnrolTotpAsync();
        return (member, await JoinAsync(member, role, stepUp: mfa, scope), own);
    }

    /// <summary>
    /// <paramref name="member"/> (someone who exists already) is invited with <paramref name="role"/> and accepts; their
    /// token for this organization from its owner's client, after a fresh step-up with <paramref name="stepUp"/> (a
    /// second factor enrolled before).
    /// </summary>
    public async Task<string> JoinAsync(IdentityUser member, string role, bool stepUp, string scope = Scope)
    {
        var seen = Directory.GetFiles(Fixture.MailFolder, "*.eml").ToHashSet(StringComparer.Ordinal);
        using (var invite = await Owner.Browser.PostAsJsonAsync($"/v1/organizations/{Id}/invitations", new { email = member.Email, role }))
        {
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        }

        var invitation = BrowserForms.CodeIn(await Fixture.MailToAsync(member.Email, "invited", seen));
        using (var accept = await member.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = invitation }))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }

        if (stepUp) await member.StepUpAsync();
        var token = await member.AccessTokenAsync(Client, scope, new Dictionary<string, string> { ["organization"] = Id });
        Assert.Equal(Id, IdentityUser.Claims(token).GetProperty("org_id").GetString());
        return token;
    }

    /// <summary>A dataset of this organization, made with an API key from the keys administrator.</summary>
    public async Task<string> DatasetAsync()
    {
        var key = (await Fixture.App.CreateApiKeyAsync(Id, "full")).GetProperty("key").GetString()!;
        using var client = Fixture.App.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{Id}/datasets", new { name = "evidence" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}
