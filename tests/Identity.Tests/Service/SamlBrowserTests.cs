using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// SAML single sign-on with a real IdP that is not ours (npm samlify on loopback, saml-idp.mjs) and Debian's Chromium
/// (issue 18 item 5): the connection made from the IdP's own metadata (by URL), then from the platform's sign-in page,
/// through the IdP and back by a cross-site POST to the ACS, to a signed-in session and an access token with the
/// organization and the connection's default role, the account created just in time.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class SamlBrowserTests(IdentityFixture fixture)
{
    private static readonly string[] expected =
        ["platform-signin-page", "sent-to-idp-with-authnrequest", "idp-answered", "back-signed-in-at-platform-consent", "redirected-with-code", "access-token", "account-page"];

    [Fact]
    public async Task Chromium_signs_in_through_a_samlify_IdP_and_gets_a_token_with_the_organizations_role()
    {
        await NodeClients.InstallAsync();
        var address = await fixture.StartHttpsAsync();
        var port = FreePort();
        using var keys = new SamlTestIdp();
        using var idp = Process.Start(new ProcessStartInfo("node", ["saml-idp.mjs"])
        {
            WorkingDirectory = NodeClients.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["IDP_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["IDP_KEY_PEM"] = keys.Key.ExportPkcs8PrivateKeyPem(),
                ["IDP_CERT_PEM"] = keys.Certificate.ExportCertificatePem(),
                ["NODE_EXTRA_CA_CERTS"] = fixture.CertificatePath,
            },
        })!;
        var idpLog = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _ = Task.Run(async () => { while (await idp.StandardError.ReadLineAsync() is { } line) idpLog.Enqueue("stderr: " + line); });
        try
        {
            var ready = await ReadyAsync(idp, idpLog);
            var issuer = $"http://127.0.0.1:{port}";
            Assert.True(ready == issuer, $"The IdP did not start: {string.Join('\n', idpLog)}");

            // The Owner sets the organization up through the API (the in-process service; same database).
            var domain = $"corp-{Guid.NewGuid():n}"[..15] + ".test";
            var owner = await TestUser.CreateAsync(fixture, $"owner@{domain}");
            await owner.EnrolTotpAsync();
            var orgId = await owner.CreateOrganizationAsync("Corp");
            await owner.StepUpAsync();
            var created = await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/saml/connections",
                new { name = "Corp SAML IdP", metadataUrl = issuer + "/metadata", defaultRole = "Developer" });
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var connectionId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
            var claim = await (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/sso/domains", new { domain, connectionId })).Content.ReadFromJsonAsync<JsonElement>();
            fixture.Txt.Set(claim.GetProperty("txtName").GetString()!, claim.GetProperty("txtValue").GetString()!);
            Assert.Equal(HttpStatusCode.OK, (await owner.Http.PostAsync($"/v1/organizations/{orgId}/sso/domains/{domain}/verify", null)).StatusCode);
            var client = await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients",
                new { name = "Corp portal", type = "web", scopes = new[] { "openid", "email", "platform.organizations" }, redirectUris = new[] { "http://127.0.0.1:53682/callback" } });
            Assert.True(client.StatusCode == HttpStatusCode.Created, await client.Content.ReadAsStringAsync());
            var registered = await client.Content.ReadFromJsonAsync<JsonElement>();

            var email = $"engineer-{Guid.NewGuid():n}"[..17] + "@" + domain;
            var (exitCode, output) = await NodeClients.RunAsync("node", ["saml.mjs"], TimeSpan.FromMinutes(3), new Dictionary<string, string>
            {
                ["IDENTITY_URL"] = address.ToString(),
                ["IDP_BASE"] = issuer,
                ["CLIENT_ID"] = registered.GetProperty("clientId").GetString()!,
                ["CLIENT_SECRET"] = registered.GetProperty("clientSecret").GetString()!,
                ["ORG_ID"] = orgId,
                ["EMAIL"] = email,
                ["NODE_EXTRA_CA_CERTS"] = fixture.CertificatePath,
            });
            var results = output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                .Select(l => JsonDocument.Parse(l["RESULT ".Length..]).RootElement)
                .ToDictionary(r => r.GetProperty("name").GetString()!, r => r);
            foreach (var name in expected)
            {
                Assert.True(results.TryGetValue(name, out var check), $"Check '{name}' did not run.\n{output}\n{string.Join('\n', idpLog)}");
                Assert.True(check.GetProperty("ok").GetBoolean(), $"Check '{name}' failed: {check}\n{output}\n{string.Join('\n', idpLog)}");
            }

            Assert.Equal(0, exitCode);
            var claims = JsonDocument.Parse(output.Split('\n').Single(l => l.StartsWith("CLAIMS ", StringComparison.Ordinal))["CLAIMS ".Length..]).RootElement;
            Assert.Equal(orgId, claims.GetProperty("org_id").GetString());
            Assert.Equal(["Developer"], claims.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray());
            // OpenIddict writes a one-value amr as a string (as it does for ["pwd"]); either form names the federated sign-in.
            var amr = claims.GetProperty("amr");
            Assert.Equal(["fed"], amr.ValueKind == JsonValueKind.Array ? amr.EnumerateArray().Select(r => r.GetString()!).ToArray() : [amr.GetString()!]);
            var userId = claims.GetProperty("sub").GetString()!;
            await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sso.user_provisioned" && e.GetProperty("actor").GetString() == userId);
        }
        finally
        {
            if (!idp.HasExited) idp.Kill(entireProcessTree: true);
            await idp.WaitForExitAsync();
        }
    }

    private static async Task<string?> ReadyAsync(Process idp, System.Collections.Concurrent.ConcurrentQueue<string> log)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await idp.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                log.Enqueue(line);
                if (line.StartsWith("READY ", StringComparison.Ordinal))
                {
                    _ = Task.Run(async () => { while (await idp.StandardOutput.ReadLineAsync() is { } more) log.Enqueue(more); });
                    return line["READY ".Length..];
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
