using System.Net;
using Microsoft.AspNetCore.Http;
using Platform.Security.Authentication;

namespace Platform.Security.Tests;

/// <summary>One credential per request (contract item 2): which scheme a request goes to, decided from its headers alone.</summary>
public sealed class CredentialKindsTests
{
    private const string Jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3JfMSJ9.c2lnbmF0dXJlc2lnbmF0dXJl";

    [Theory]
    [InlineData(PlatformSchemes.Gateway)]
    [InlineData(PlatformSchemes.Gateway, "X-Platform-Key-Id", "key_1")]
    [InlineData(PlatformSchemes.Gateway, "X-Platform-User", "usr_1")]
    [InlineData(PlatformSchemes.AccessToken, "Authorization", "Bearer " + Jwt)]
    [InlineData(PlatformSchemes.AccessToken, "Authorization", "Bearer " + Jwt, "X-Platform-User", "usr_1")]
    [InlineData(PlatformSchemes.Operator, "Authorization", "Bearer operator-token-0123456789-0123456789")]
    [InlineData(PlatformSchemes.Operator, "Authorization", "Basic cm9vdDpyb290")]
    [InlineData(PlatformSchemes.Multiple, "X-Platform-Key-Id", "key_1", "Authorization", "Bearer " + Jwt)]
    [InlineData(PlatformSchemes.Multiple, "X-Platform-Key-Id", "key_1", "X-Platform-User", "usr_1")]
    [InlineData(PlatformSchemes.Multiple, "X-Api-Key", "sk_live_x", "Authorization", "Bearer " + Jwt)]
    [InlineData(PlatformSchemes.Multiple, "X-Api-Key", "sk_live_x", "X-Platform-Key-Id", "key_1")]
    public void A_request_goes_to_the_scheme_of_its_one_credential_or_is_multiple(string expected, params string[] headers)
    {
        var context = new DefaultHttpContext();
        for (var index = 0; index < headers.Length; index += 2) context.Request.Headers.Append(headers[index], headers[index + 1]);

        Assert.Equal(expected, CredentialKinds.SchemeFor(context.Request));
    }

    [Fact]
    public void A_service_that_does_not_validate_tokens_takes_the_gateways_user_beside_the_forwarded_token()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + Jwt;
        context.Request.Headers["X-Platform-User"] = "usr_1";
        var alone = new DefaultHttpContext();
        alone.Request.Headers.Authorization = "Bearer " + Jwt;

        Assert.Equal(PlatformSchemes.Gateway, CredentialKinds.SchemeFor(context.Request, validatesAccessTokens: false));
        Assert.Equal(PlatformSchemes.AccessToken, CredentialKinds.SchemeFor(alone.Request, validatesAccessTokens: false));
        Assert.Equal(PlatformSchemes.AccessToken, CredentialKinds.SchemeFor(context.Request, validatesAccessTokens: true));
    }

    [Fact]
    public void Two_authorization_values_or_two_api_keys_are_two_credentials()
    {
        var twoTokens = new DefaultHttpContext();
        twoTokens.Request.Headers.Authorization = new(["Bearer a-token-0123456789-0123456789", "Bearer b-token-0123456789-0123456789"]);
        var twoKeys = new DefaultHttpContext();
        twoKeys.Request.Headers["X-Api-Key"] = new(["sk_live_a", "sk_live_b"]);

        Assert.Equal(PlatformSchemes.Multiple, CredentialKinds.SchemeFor(twoTokens.Request));
        Assert.Equal(PlatformSchemes.Multiple, CredentialKinds.SchemeFor(twoKeys.Request));
    }

    [Fact]
    public void Any_gateway_header_marks_a_request_as_relayed_by_the_gateway()
    {
        var relayed = new DefaultHttpContext();
        relayed.Request.Headers["x-platform-client-address"] = "203.0.113.1";
        var direct = new DefaultHttpContext();
        direct.Request.Headers["X-Request-Id"] = "req_1";

        Assert.True(CredentialKinds.CameThroughGateway(relayed.Request));
        Assert.False(CredentialKinds.CameThroughGateway(direct.Request));
    }

    [Fact]
    public void Operator_networks_default_to_loopback_and_bad_ranges_are_reported_by_index()
    {
        var errors = new List<string>();
        var loopback = new OperatorCredential("ops", "role", "token", ["*"], OperatorNetworks.Parse([], "X:0", errors));
        var office = new OperatorCredential("ops", "role", "token", ["*"], OperatorNetworks.Parse(["10.0.0.0/8", "fd00::/8"], "X:1", errors));
        OperatorNetworks.Parse(["10.1.2.3/8", "not-a-range"], "X:2", errors);

        Assert.True(loopback.AllowsFrom(IPAddress.Loopback));
        Assert.True(loopback.AllowsFrom(IPAddress.IPv6Loopback));
        Assert.False(loopback.AllowsFrom(IPAddress.Parse("10.0.0.1")));
        Assert.True(office.AllowsFrom(IPAddress.Parse("10.200.0.1")));
        Assert.True(office.AllowsFrom(IPAddress.Parse("fd00::1")));
        Assert.False(office.AllowsFrom(IPAddress.Loopback));
        Assert.Equal(["X:2:Networks:0", "X:2:Networks:1"], errors.Select(e => e[..e.IndexOf(' ', StringComparison.Ordinal)]));
    }
}
