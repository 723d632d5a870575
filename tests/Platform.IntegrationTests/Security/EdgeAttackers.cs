using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// The cast of the gateway's attack tests, fresh for each test: an attacker who owns an organization of their own with
/// an API key, and a victim organization whose Owner has a token (a stolen or leaked one, in the attacks).
/// </summary>
internal static class EdgeAttackers
{
    public const string Problems = "https://platform.dev/problems/";

    /// <summary>The attacker's own organization and a valid full live key of it (made at the keys service directly).</summary>
    public static async Task<(string Organization, string Key)> AttackerAsync(TestingApplication app)
    {
        var organization = $"org_{Guid.NewGuid():n}";
        var key = await app.CreateApiKeyAsync(organization, "full");
        return (organization, key.GetProperty("key").GetString()!);
    }

    /// <summary>A victim organization whose Owner signed in with a second factor: the Owner (and browser) and an access token of theirs.</summary>
    public static async Task<(IdentityUser Owner, string Organization, string Token)> VictimAsync(PlatformFixture fixture)
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        var token = await owner.AccessTokenAsync(await owner.CreateClientAsync(organization));
        return (owner, organization, token);
    }

    /// <summary>The organization's network policy and keys, as the keys service holds them (read directly, as an operator).</summary>
    public static async Task<(string Policy, string Keys)> StateAsync(TestingApplication app, string organization)
    {
        using var admin = app.KeysAdministrator();
        var policy = await admin.GetStringAsync($"/v1/organizations/{organization}/network-policy");
        var keys = await admin.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        return (policy, string.Join(",", keys.GetProperty("items").EnumerateArray().Select(k => k.GetProperty("id").GetString()).Order()));
    }

    public static async Task SetAllowlistAsync(TestingApplication app, string organization, params string[] cidrs)
    {
        using var admin = app.KeysAdministrator();
        using var response = await admin.PutAsJsonAsync($"/v1/organizations/{organization}/network-policy", new { allowedCidrs = cidrs });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Asserts a problem answer of <paramref name="status"/> and <paramref name="type"/>; returns the request id.</summary>
    public static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {type}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(Problems + type, problem.RootElement.GetProperty("type").GetString());
        return response.Headers.GetValues("X-Request-Id").Single();
    }

    /// <summary>Waits for the gateway's audit event of the request and checks it names the client and the outcome.</summary>
    public static async Task<JsonElement> AssertAuditedAsync(TestingApplication app, string requestId, int status, string? actor = "anonymous")
    {
        var entry = await app.AuditEntryAsync($"action=http.request&requestId={requestId}");
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.GetProperty("details").GetProperty("status").GetString());
        Assert.Equal("127.0.0.1", entry.GetProperty("ip").GetString());
        if (actor is not null) Assert.Equal(actor, entry.GetProperty("actor").GetString());
        return entry;
    }

    /// <summary>curl (an independent HTTP/2 client, strict about framing) against the gateway, trusting its development certificate.</summary>
    public static async Task<(int ExitCode, string Output)> CurlAsync(TestingApplication app, params string[] arguments)
    {
        var certificate = Path.Combine(Path.GetTempPath(), $"gateway-{Guid.NewGuid():n}.pem");
        await File.WriteAllTextAsync(certificate, app.DevelopmentCertificate("gateway")!.ExportCertificatePem());
        try
        {
            var port = app.GetEndpoint("gateway").Port;
            string[] common = ["-sS", "--max-time", "20", "--cacert", certificate];
            return await Tools.RunAsync("curl", [.. common, .. arguments.Select(a => a.Replace("{gateway}", $"https://localhost:{port}", StringComparison.Ordinal))]);
        }
        finally
        {
            File.Delete(certificate);
        }
    }
}
