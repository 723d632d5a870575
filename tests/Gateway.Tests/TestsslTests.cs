using System.Diagnostics;
using System.Text.Json;
using Platform.Gateway.Tests.Infrastructure;
using Platform.Hosting.Testing;

namespace Platform.Gateway.Tests;

/// <summary>
/// Debian's testssl.sh, an independent scanner, against the running gateway (SPEC GW-TLS). Debian ships testssl.sh
/// 3.0, which has no overall grade, so the test applies the SSL Labs rating guide's conditions for an A itself: no
/// protocol below TLS 1.2, no weak cipher class offered, forward secrecy, no vulnerability and no finding of medium
/// severity or worse.
/// </summary>
[Collection(TestsslCollection.Name)]
public sealed class TestsslTests(SharedServers servers)
{
    private static readonly string[] Severe = ["MEDIUM", "HIGH", "CRITICAL"];

    [Fact]
    public async Task Testssl_finds_no_weakness_and_the_configuration_rates_A()
    {
        var testssl = await DebianPackages.EnsureAsync("testssl.sh", ["testssl"]);
        var folder = servers.NewFolder();
        // A certificate as a CA would issue it, from PEM files, as a deployment configures the gateway.
        var (authority, server) = TestCertificates.CreateIssued("gateway.test");
        using (authority)
        using (server)
        {
            TestCertificates.WritePem(server, Path.Combine(folder, "tls.crt"), Path.Combine(folder, "tls.key"));
            await File.WriteAllTextAsync(Path.Combine(folder, "ca.pem"), authority.ExportCertificatePem());
        }

        await using var gateway = GatewayProcess.Start(folder, new Dictionary<string, string>(servers.ConnectionStrings)
        {
            ["Gateway__Certificate__Path"] = Path.Combine(folder, "tls.crt"),
            ["Gateway__Certificate__KeyPath"] = Path.Combine(folder, "tls.key"),
        });
        await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
        var ca = Path.Combine(folder, "ca.pem");
        var json = Path.Combine(folder, "result.json");

        var (exitCode, output) = await RunAsync(testssl,
        [
            // Protocols, cipher classes, forward secrecy, server preferences, certificate, HTTP headers and every
            // vulnerability check: the default run without its slow browser simulation.
            "-p", "-s", "-f", "-P", "-S", "-h", "-U",
            "--quiet", "--color", "0", "--warnings", "off", "--sneaky", "--add-ca", ca, "--jsonfile", json,
            "--ip", "127.0.0.1", "--openssl-timeout", "10", $"https://localhost:{gateway.HttpsPort}",
        ], TimeSpan.FromMinutes(6));
        Assert.True(File.Exists(json), $"testssl.sh wrote no result (exit {exitCode}):{Environment.NewLine}{output}");

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var findings = document.RootElement.EnumerateArray()
            .Select(f => (Id: f.GetProperty("id").GetString()!, Severity: f.GetProperty("severity").GetString()!, Finding: f.GetProperty("finding").GetString()!))
            .ToList();
        string Finding(string id) => findings.FirstOrDefault(f => f.Id == id).Finding ?? $"(no '{id}' in the result)";

        var severe = findings.Where(f => Severe.Contains(f.Severity)).Select(f => $"{f.Severity} {f.Id}: {f.Finding}").ToList();
        Assert.True(severe.Count == 0, "testssl.sh flagged:" + Environment.NewLine + string.Join(Environment.NewLine, severe));

        foreach (var old in new[] { "SSLv2", "SSLv3", "TLS1", "TLS1_1" }) Assert.StartsWith("not offered", Finding(old));
        Assert.StartsWith("offered", Finding("TLS1_2"));
        Assert.StartsWith("offered", Finding("TLS1_3"));
        foreach (var weak in new[] { "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE" })
        {
            Assert.StartsWith("not offered", Finding(weak));
        }

        Assert.Contains(findings, f => f.Id is "FS" or "PFS" && f.Severity == "OK");
        Assert.Contains(findings, f => f.Id == "HSTS_time" && f.Severity == "OK");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"testssl.sh did not finish within {timeout.TotalMinutes} minutes:{Environment.NewLine}{await stdout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
