using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Platform.Audit.Siem;

/// <summary>
/// Sends framed syslog messages over TLS (RFC 5425): TLS 1.2 or 1.3, the receiver's certificate checked against the
/// system's roots or the destination's own CA, and its name against the host. A batch counts as delivered only once
/// the receiver has read everything: after the last message the sender closes its side (close_notify, FIN) and waits
/// for the receiver to close in turn. A receiver that dies before reading all resets the connection instead, and the
/// batch is sent again (at least once).
/// </summary>
internal sealed class SyslogTlsSender(IOptions<SiemOptions> options)
{
    private readonly SiemOptions settings = options.Value;

    public async Task SendAsync(SiemDestination destination, IReadOnlyList<byte[]> frames, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.SendTimeout);
        var token = timeout.Token;
        try
        {
            var address = await SiemNetwork.ResolveAsync(destination.Address, settings.AllowPrivateNetworks, token);
            using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(address, destination.Address.Port), token);
            await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await tls.AuthenticateAsClientAsync(SiemNetwork.Tls(destination), token);
            foreach (var frame in frames) await tls.WriteAsync(frame, token);
            await tls.FlushAsync(token);
            await tls.ShutdownAsync();
            socket.Shutdown(SocketShutdown.Send);
            var rest = new byte[512];
            while (await tls.ReadAsync(rest, token) > 0)
            {
                // A syslog receiver sends nothing; whatever comes is read until it closes.
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SiemDeliveryException($"{destination.Address} did not accept the batch within {settings.SendTimeout.TotalSeconds:0} s.");
        }
        catch (AuthenticationException e)
        {
            throw new SiemDeliveryException($"TLS with {destination.Address} failed: {e.Message}");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new SiemDeliveryException($"{destination.Address}: {(e.InnerException ?? e).Message}");
        }
    }
}

/// <summary>Why a batch was not delivered, in words safe to show the customer (no secret, no stack).</summary>
internal sealed class SiemDeliveryException(string message) : Exception(message);
