using System.Text.Json;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// The console in a real browser (tests/Platform.IntegrationTests/SecurityConsole/node/console.mjs): the whole journey of issue 19 item 3 with
/// axe-core on every page. Set CONSOLE_SCREENSHOTS to a folder (e.g. docs/screenshots) to keep the main pages' screenshots.
/// </summary>
[Collection(Collections.Console)]
public sealed class ConsoleBrowserTests(PlatformFixture fixture)
{
    [Fact]
    public async Task A_new_user_signs_up_creates_a_key_in_the_console_uses_and_revokes_it_invites_an_Admin_whose_Viewer_sees_no_key_management()
    {
        await NodeBrowser.InstallAsync();
        var certificate = Path.Combine(fixture.MailFolder, "..", $"console-gateway-{Guid.NewGuid():n}.pem");
        await File.WriteAllTextAsync(certificate, fixture.App.DevelopmentCertificate("gateway")!.ExportCertificatePem());
        try
        {
            var environment = new Dictionary<string, string>
            {
                ["GATEWAY_URL"] = fixture.Gateway.ToString(),
                ["MAIL_DIR"] = fixture.MailFolder,
                ["NODE_EXTRA_CA_CERTS"] = certificate,
                ["SCREENSHOTS"] = Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS") ?? "",
            };
            var (exitCode, output) = await NodeBrowser.RunAsync("node", ["console.mjs"], TimeSpan.FromMinutes(6), environment);
            var results = output.Split('\n').Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
                .Select(l => JsonDocument.Parse(l["RESULT ".Length..]).RootElement).ToList();
            var failures = results.Where(r => !r.GetProperty("ok").GetBoolean()).Select(r => r.ToString()).ToList();
            Assert.True(exitCode == 0 && failures.Count == 0 && results.Count >= 40, $"exit {exitCode}, {results.Count} checks, failed:\n{string.Join('\n', failures)}\n\n{output}");
        }
        finally
        {
            File.Delete(certificate);
        }
    }
}
