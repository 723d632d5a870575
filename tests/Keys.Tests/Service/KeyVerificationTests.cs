using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Model;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

[Collection(KeysServiceCollection.Name)]
public sealed class KeyVerificationTests(KeysServiceFixture fixture)
{
    [Fact]
    public async Task A_valid_key_is_answered_with_its_organization_scopes_and_limits()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var expiry = fixture.Clock.GetUtcNow().AddDays(90);
        var key = await client.CreateKeyAsync(organization, Body(environment: "test",
            extra: new { allowedCidrs = new[] { "10.20.0.0/16" }, rateLimitPerMinute = 50, expiresAt = expiry }));

        var answer = await fixture.VerifyAsync(key.Secret());

        Assert.True(answer.GetProperty("valid").GetBoolean());
        Assert.Equal(key.Id(), answer.GetProperty("keyId").GetString());
        Assert.Equal(organization, answer.GetProperty("organizationId").GetString());
        Assert.Equal("test", answer.GetProperty("environment").GetString());
        Assert.Equal(
            ["dataset:read_only", "training:full"],
            answer.GetProperty("scopes").EnumerateArray().Select(s => $"{s.GetProperty("permission").GetString()}:{s.GetProperty("level").GetString()}"));
        Assert.Equal(["10.20.0.0/16"], answer.GetProperty("allowedCidrs").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(50, answer.GetProperty("rateLimitPerMinute").GetInt32());
        Assert.Equal(expiry.UtcDateTime, answer.GetProperty("expiresAt").GetDateTimeOffset().UtcDateTime, TimeSpan.FromMilliseconds(1));
        Assert.False(answer.TryGetProperty("reason", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sk_live_")]
    [InlineData("sk_live_tooShort")]
    [InlineData("Bearer sk_live_0000000000000000000000000000000000000")]
    [InlineData("sk_prod_0000000000000000000000000000000000000A")]
    [InlineData("sk_live_00000000000000000000-00000000000000000")]
    public async Task A_malformed_key_is_refused_as_malformed(string candidate)
    {
        Assert.Equal("malformed", await fixture.RejectionAsync(candidate));
    }

    [Fact]
    public async Task A_key_with_a_typo_fails_its_checksum_and_is_refused_as_malformed()
    {
        using var client = fixture.Client();
        var secret = (await client.CreateKeyAsync(NewOrganization())).Secret();
        var typo = secret[..20] + (secret[20] == 'x' ? 'y' : 'x') + secret[21..];
        Assert.Equal("malformed", await fixture.RejectionAsync(typo));
    }

    [Fact]
    public async Task A_checksum_failure_is_refused_without_a_database_lookup()
    {
        var lookups = () => fixture.Logs.Lines.Count(l => l.Contains("WHERE secret_hash = $1", StringComparison.Ordinal) && l.Contains("Executing", StringComparison.Ordinal));
        var key = KeyFormat.Generate(KeyEnvironment.Live);
        var before = lookups();

        Assert.Equal("malformed", await fixture.RejectionAsync(key[..^1] + (key[^1] == 'A' ? 'B' : 'A')));
        Assert.Equal(before, lookups());
        Assert.Equal("unknown", await fixture.RejectionAsync(key));
        Assert.Equal(before + 1, lookups());
    }

    [Fact]
    public async Task A_well_formed_key_that_was_never_issued_is_unknown()
    {
        // Right prefix, length, alphabet and checksum: only the lookup can tell.
        Assert.Equal("unknown", await fixture.RejectionAsync(KeyFormat.Generate(KeyEnvironment.Live)));
    }

    [Fact]
    public async Task A_key_works_until_its_expiry_and_not_a_moment_after()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization, Body(extra: new { expiresAt = fixture.Clock.GetUtcNow().AddHours(1) }));

        Assert.Null(await fixture.RejectionAsync(key.Secret()));
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(59));
        Assert.Null(await fixture.RejectionAsync(key.Secret()));
        await fixture.AdvanceAsync(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        Assert.Equal("expired", await fixture.RejectionAsync(key.Secret()));
        Assert.Equal("expired", (await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys/{key.Id()}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_revoked_key_is_refused_at_once()
    {
        using var client = fixture.Client();
        var organization = NewOrganization();
        var key = await client.CreateKeyAsync(organization);
        Assert.Null(await fixture.RejectionAsync(key.Secret()));

        using var revoke = await client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        var revoked = await revoke.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("revoked", revoked.GetProperty("status").GetString());

        Assert.Equal("revoked", await fixture.RejectionAsync(key.Secret()));
        using var again = await client.PostAsync($"/v1/organizations/{organization}/keys/{key.Id()}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(revoked.GetProperty("revokedAt").GetString(), (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revokedAt").GetString());

        using var patch = await client.PatchAsync($"/v1/organizations/{organization}/keys/{key.Id()}", Json(new { name = "revived" }));
        Assert.Equal(HttpStatusCode.Conflict, patch.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(KeysServiceFixture.RootToken)]
    [InlineData("not-the-service-token-0123456789-0123456789")]
    public async Task Only_a_service_credential_may_verify(string? token)
    {
        using var client = fixture.Client(token);
        using var response = await client.PostAsJsonAsync("/internal/v1/keys/verify", new { key = KeyFormat.Generate(KeyEnvironment.Live) });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("""{"secret":"sk_live_x"}""")]
    [InlineData("""{"key":42}""")]
    [InlineData("""{"key":null}""")]
    public async Task A_verify_request_without_a_key_string_is_a_400_that_does_not_echo_it(string body)
    {
        using var client = fixture.Client(KeysServiceFixture.ServiceToken);
        using var response = await client.PostAsync("/internal/v1/keys/verify", Raw(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("sk_live", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
