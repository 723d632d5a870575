using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>
/// One TLS connection to the gateway's public listener, speaking HTTP/1.1 by hand so that a test controls exactly
/// which connection a request goes over and sees the certificate that connection's handshake presented.
/// </summary>
internal sealed class TlsConnection : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly SslStream _stream;
    private readonly int _port;

    private TlsConnection(TcpClient client, SslStream stream, int port, X509Certificate2 certificate)
    {
        _client = client;
        _stream = stream;
        _port = port;
        ServerCertificate = certificate;
    }

    public X509Certificate2 ServerCertificate { get; }

    /// <summary>
    /// Connects and completes a full handshake (no session resumption, which would skip sending the certificate).
    /// Only certificates whose SHA-256 thumbprint is in <paramref name="pinned"/> are accepted.
    /// </summary>
    public static async Task<TlsConnection> OpenAsync(
        int port, IReadOnlyCollection<string> pinned, Action<SslClientAuthenticationOptions>? configure = null)
    {
        var client = new TcpClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            var stream = new SslStream(client.GetStream(), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && pinned.Contains(TestCertificates.Sha256(certificate)),
            };
            configure?.Invoke(options);
            await stream.AuthenticateAsClientAsync(options, timeout.Token);
            var presented = new X509Certificate2(stream.RemoteCertificate!);
            return new TlsConnection(client, stream, port, presented);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A keep-alive GET on this connection: the status and body.</summary>
    public async Task<(int Status, string Body)> GetAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var request = $"GET {path} HTTP/1.1\r\nHost: localhost:{_port}\r\nConnection: keep-alive\r\n\r\n";
        await _stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);

        var received = new MemoryStream();
        var buffer = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(received)) < 0)
        {
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) throw new IOException("The gateway closed the connection before answering.");
            received.Write(buffer, 0, read);
        }

        var head = Encoding.ASCII.GetString(received.GetBuffer(), 0, headerEnd);
        var lines = head.Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var lengthLine = lines.FirstOrDefault(line => line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"The response has no Content-Length:{Environment.NewLine}{head}");
        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);

        var bodyStart = headerEnd + 4;
        while (received.Length < bodyStart + length)
        {
            var read = await _stream.ReadAsync(buffer, timeout.Token);
            if (read == 0) throw new IOException("The gateway closed the connection in the middle of a response.");
            received.Write(buffer, 0, read);
        }

        return (status, Encoding.UTF8.GetString(received.GetBuffer(), bodyStart, length));
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
        ServerCertificate.Dispose();
    }

    private static int IndexOfHeaderEnd(MemoryStream received) =>
        received.GetBuffer().AsSpan(0, (int)received.Length).IndexOf("\r\n\r\n"u8);
}
