using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Platform.Ctl.Audit;

/// <summary>
/// <c>platformctl audit bundle</c>: <c>GET /v1/audit/bundle</c> through the gateway with the caller's access token,
/// streamed to a file. A refusal prints the problem's title and detail; a cut download leaves no file behind.
/// The token is read from a file or the environment, never from the command line (where other users see it).
/// </summary>
internal static class BundleDownload
{
    public sealed record Request(Uri Gateway, string? Organization, FileInfo Output, FileInfo? TokenFile, FileInfo? CaCertificate);

    public static async Task<int> RunAsync(Request request, HttpMessageHandler? handler, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var token = request.TokenFile is { } file ? (await File.ReadAllTextAsync(file.FullName, cancellationToken)).Trim() : Environment.GetEnvironmentVariable(AuditCommands.TokenVariable);
        if (string.IsNullOrEmpty(token))
        {
            await error.WriteLineAsync($"No access token: give --token-file or set {AuditCommands.TokenVariable}.");
            return PlatformCli.Usage;
        }

        using var client = new HttpClient(handler ?? Handler(request.CaCertificate), disposeHandler: handler is null) { BaseAddress = request.Gateway, Timeout = Timeout.InfiniteTimeSpan };
        var path = "/v1/audit/bundle" + (request.Organization is { } organization ? $"?organization={Uri.EscapeDataString(organization)}" : "");
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await error.WriteLineAsync($"The platform refused: {(int)response.StatusCode} {await ProblemAsync(response, cancellationToken)}");
                return PlatformCli.Remote;
            }

            var partial = request.Output.FullName + ".partial";
            long bytes;
            await using (var target = File.Create(partial))
            {
                await response.Content.CopyToAsync(target, cancellationToken);
                bytes = target.Length;
            }

            File.Move(partial, request.Output.FullName, overwrite: true);
            await output.WriteLineAsync($"Wrote {request.Output.FullName} ({bytes:N0} bytes). Verify it with: platformctl audit verify {request.Output.Name} --key <verifier key>");
            return PlatformCli.Ok;
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            File.Delete(request.Output.FullName + ".partial");
            await error.WriteLineAsync($"The download failed: {exception.Message}");
            return PlatformCli.Remote;
        }
    }

    internal static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
            return string.Join(": ", new[] { title, detail }.Where(s => !string.IsNullOrEmpty(s)));
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException)
        {
            return response.ReasonPhrase ?? "";
        }
    }

    internal static SocketsHttpHandler Handler(FileInfo? caCertificate)
    {
        var handler = new SocketsHttpHandler();
        if (caCertificate is not null)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(caCertificate.FullName)));
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        return handler;
    }
}
