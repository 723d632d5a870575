using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Audit.Model;

namespace Platform.Audit.Siem;

/// <summary>
/// Sends a batch to a Splunk HTTP Event Collector: one HTTPS POST to <c>https://host:port/services/collector/event</c>
/// with <c>Authorization: Splunk &lt;token&gt;</c> and the entries as HEC event objects, one after another. The batch
/// is delivered once the collector answers 200 (Splunk acknowledges after it has taken the events); anything else is a
/// failure and the batch is sent again (at least once). TLS as for syslog (system roots or the destination's CA, the
/// host name checked); no redirects, no proxy, and the same rule on non-public addresses at every connection.
/// </summary>
internal sealed class HecSender(IOptions<SiemOptions> options, TokenSealer sealer)
{
    public const string Path = "/services/collector/event";
    private readonly SiemOptions settings = options.Value;

    public async Task SendAsync(SiemDestination destination, IReadOnlyList<AuditEntry> entries, CancellationToken cancellationToken)
    {
        var token = sealer.Open(destination.Id, destination.OrganizationId, destination.SealedToken ?? throw new SiemDeliveryException("The destination has no token."));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.SendTimeout);
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectCallback = async (context, token) =>
            {
                var address = await SiemNetwork.ResolveAsync(destination.Address, settings.AllowPrivateNetworks, token);
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, destination.Address.Port), token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            SslOptions = SiemNetwork.Tls(destination),
        };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, new UriBuilder("https", destination.Address.Host, destination.Address.Port, Path).Uri)
        {
            Content = new ByteArrayContent(Body(entries, settings.Hostname)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Splunk", token);
        try
        {
            using var response = await client.SendAsync(request, timeout.Token);
            if (response.StatusCode == HttpStatusCode.OK) return;
            throw new SiemDeliveryException($"The HTTP event collector at {destination.Address} answered {(int)response.StatusCode}{await ReasonAsync(response, timeout.Token)}.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SiemDeliveryException($"{destination.Address} did not accept the batch within {settings.SendTimeout.TotalSeconds:0} s.");
        }
        catch (HttpRequestException e) when (e.InnerException is SiemDeliveryException inner)
        {
            throw inner;
        }
        catch (HttpRequestException e)
        {
            throw new SiemDeliveryException(e.InnerException is AuthenticationException
                ? $"TLS with {destination.Address} failed: {e.InnerException.Message}"
                : $"{destination.Address}: {e.HttpRequestError}");
        }
    }

    /// <summary>HEC's JSON event format: objects one after another, each with time (seconds), host, source, sourcetype and the entry as event.</summary>
    public static byte[] Body(IReadOnlyList<AuditEntry> entries, string hostname)
    {
        var buffer = new ArrayBufferWriter<byte>(entries.Count * 512);
        using var json = new Utf8JsonWriter(buffer);
        foreach (var entry in entries)
        {
            json.WriteStartObject();
            json.WriteNumber("time", Math.Round(entry.OccurredAt.ToUnixTimeMilliseconds() / 1000.0, 3));
            json.WriteString("host", hostname);
            json.WriteString("source", SyslogMessage.AppName);
            json.WriteString("sourcetype", "_json");
            json.WritePropertyName("event");
            JsonSerializer.Serialize(json, entry, JsonSerializerOptions.Web);
            json.WriteEndObject();
            json.Flush();
            buffer.Write("\n"u8);
            json.Reset(buffer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The collector's own words, printable and short: they are shown in the destination's status.</summary>
    private static async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.TryGetProperty("text", out var reason) && reason.GetString() is { } words)
            {
                return $" ({new string(words.Where(c => c is >= ' ' and <= '~').Take(100).ToArray())})";
            }
        }
        catch (Exception exception) when (exception is JsonException or HttpRequestException or IOException)
        {
        }

        return "";
    }
}
