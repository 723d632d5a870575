using System.Security.Cryptography;
using Platform.Security.Gateway;

namespace Platform.Security.Tests;

/// <summary>The gateway's signature over the principal headers it sends upstream: what it covers and what breaks it.</summary>
public sealed class GatewaySignatureTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    private static readonly Dictionary<string, string> Headers = new()
    {
        ["X-Platform-Organization"] = "org_a",
        ["X-Platform-Key-Id"] = "key_1",
        ["X-Platform-Scopes"] = "dataset:read_only",
        ["X-Request-Id"] = "not covered",
    };

    private static string Signed(IEnumerable<KeyValuePair<string, string>>? headers = null, string method = "GET", string path = "/v1/organizations/org_a/datasets?limit=5") =>
        GatewaySignature.Sign(Key, Now.ToUnixTimeSeconds(), method, path, headers ?? Headers);

    private static bool Verifies(string signature, IEnumerable<KeyValuePair<string, string>>? headers = null, string method = "GET",
        string path = "/v1/organizations/org_a/datasets?limit=5", DateTimeOffset? at = null, byte[]? key = null) =>
        GatewaySignature.Verify(key ?? Key, signature, at ?? Now, MaxAge, method, path, headers ?? Headers);

    [Fact]
    public void A_signature_verifies_whatever_the_header_order_and_name_case()
    {
        var signature = Signed();
        var reordered = Headers.Reverse().Select(h => KeyValuePair.Create(h.Key.ToLowerInvariant(), h.Value));

        Assert.Matches("^t=[0-9]+,v1=[A-Za-z0-9_-]{43}$", signature);
        Assert.True(Verifies(signature));
        Assert.True(Verifies(signature, reordered));
        Assert.True(Verifies(signature, method: "get"));
    }

    [Fact]
    public void Changing_a_covered_header_the_method_the_path_or_the_query_breaks_it()
    {
        var signature = Signed();

        Assert.False(Verifies(signature, Headers.Select(h => h.Key == "X-Platform-Organization" ? KeyValuePair.Create(h.Key, "org_b") : h)));
        Assert.False(Verifies(signature, Headers.Append(KeyValuePair.Create("X-Platform-Roles", "Owner"))));
        Assert.False(Verifies(signature, Headers.Where(h => h.Key != "X-Platform-Scopes")));
        Assert.False(Verifies(signature, method: "DELETE"));
        Assert.False(Verifies(signature, path: "/v1/organizations/org_b/datasets?limit=5"));
        Assert.False(Verifies(signature, path: "/v1/organizations/org_a/datasets?limit=500"));
        // Headers outside X-Platform-* are not covered.
        Assert.True(Verifies(signature, Headers.Select(h => h.Key == "X-Request-Id" ? KeyValuePair.Create(h.Key, "other") : h)));
    }

    [Fact]
    public void Another_key_an_old_or_future_time_and_malformed_values_are_refused()
    {
        var signature = Signed();

        Assert.False(Verifies(signature, key: RandomNumberGenerator.GetBytes(32)));
        Assert.True(Verifies(signature, at: Now.AddSeconds(60)));
        Assert.False(Verifies(signature, at: Now.AddSeconds(61)));
        Assert.False(Verifies(signature, at: Now.AddSeconds(-61)));
        foreach (var malformed in new[] { "", "t=,v1=", "v1=abc", $"t={Now.ToUnixTimeSeconds()}", $"t=-1,{signature[(signature.IndexOf(',') + 1)..]}",
            signature + "A", signature[..^1], signature.Replace("t=", "t= ", StringComparison.Ordinal), new string('t', 500) })
        {
            Assert.False(Verifies(malformed), malformed);
        }
    }

    [Fact]
    public void Options_need_a_key_of_at_least_32_bytes_and_a_sane_window_and_never_echo_the_key()
    {
        Assert.Empty(new GatewaySigningOptions().Validate("S"));
        Assert.Empty(new GatewaySigningOptions { Key = Convert.ToBase64String(Key) }.Validate("S"));
        var errors = new GatewaySigningOptions { Key = "c2hvcnQ=", MaxAge = TimeSpan.FromHours(1) }.Validate("S").ToList();
        Assert.Equal(2, errors.Count);
        Assert.DoesNotContain(errors, e => e.Contains("c2hvcnQ=", StringComparison.Ordinal));
        Assert.Single(new GatewaySigningOptions { Key = "not base64!" }.Validate("S"));
    }
}
