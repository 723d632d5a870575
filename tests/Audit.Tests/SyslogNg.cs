using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Platform.Hosting.Testing;

namespace Platform.Audit.Tests;

/// <summary>
/// A real syslog receiver: Debian's syslog-ng (installed when missing) listening for RFC 5425 syslog over TLS on
/// loopback, with a certificate for <c>localhost</c> from a CA of this test, writing one line per message it parsed:
/// <c>eventId PROGRAM MSGID SEVERITY actor</c>. It can be killed and started again on the same port and file.
/// </summary>
internal sealed class SyslogNg : IAsyncDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"platform-syslog-{Guid.NewGuid():n}"[..30]);
    private Process? process;

    private SyslogNg(int port, string caPem)
    {
        Port = port;
        CaCertificatePem = caPem;
    }

    public int Port { get; }

    public string CaCertificatePem { get; }

    public string Output => Path.Combine(folder, "received.log");

    public static async Task<SyslogNg> StartAsync()
    {
        await DebianPackages.EnsureAsync("syslog-ng-core", ["syslog-ng"]);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Platform test SIEM CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(2));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1), RandomNumberGenerator.GetBytes(8));

        // Below the ephemeral range (the AppHost's own way), so that no other connection takes it while it is killed.
        var receiver = new SyslogNg(AppHost.Servers.Ports.Free(), ca.ExportCertificatePem());
        Directory.CreateDirectory(receiver.folder);
        await File.WriteAllTextAsync(Path.Combine(receiver.folder, "key.pem"), serverKey.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(Path.Combine(receiver.folder, "cert.pem"), server.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(receiver.folder, "syslog-ng.conf"), $$"""
            @version: 3.38
            options { keep-hostname(yes); };
            source s_tls { syslog(ip("127.0.0.1") port({{receiver.Port}}) transport("tls")
                tls(key-file("{{receiver.folder}}/key.pem") cert-file("{{receiver.folder}}/cert.pem") peer-verify(optional-untrusted))); };
            destination d_file { file("{{receiver.Output}}" flush-lines(1)
                template("${.SDATA.audit@32473.eventId} ${PROGRAM} ${MSGID} ${SEVERITY} ${.SDATA.audit@32473.actor}\n")); };
            log { source(s_tls); destination(d_file); flags(flow-control); };
            """);
        await receiver.StartAgainAsync();
        return receiver;
    }

    /// <summary>Starts syslog-ng (again), returning once it accepts connections.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(PlatformProgram("syslog-ng"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-F", "--no-caps", "-f", $"{folder}/syslog-ng.conf", "-R", $"{folder}/persist", "-p", $"{folder}/pid", "-c", $"{folder}/ctl" })
        {
            start.ArgumentList.Add(argument);
        }

        process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"syslog-ng exited at start ({process.ExitCode}).");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Kills the receiver outright (SIGKILL): whatever it had not read is lost with it.</summary>
    public async Task KillAsync()
    {
        if (process is null || process.HasExited) return;
        process.Kill();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>What was received so far, one entry per message: event id, program, message id, severity, actor.</summary>
    public IReadOnlyList<string[]> Received() =>
        File.Exists(Output) ? [.. File.ReadAllLines(Output).Where(l => l.Length > 0).Select(l => l.Split(' ', 5))] : [];

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process?.Dispose();
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private static string PlatformProgram(string name) => AppHost.Servers.PackageInstaller.FindProgram(name) ?? name;
}
