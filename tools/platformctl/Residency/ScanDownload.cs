using System.Net;
using System.Net.Http.Headers;
using Platform.Ctl.Audit;

namespace Platform.Ctl.Residency;

/// <summary>
/// <c>platformctl residency scan</c>: <c>GET /v1/residency/scan</c> with the caller's access token (through the gateway)
/// or operator credential (directly), written to a file. The token comes from a file or the environment, never the
/// command line.
/// </summary>
internal static class ScanDownload
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

        using var client = new HttpClient(handler ?? BundleDownload.Handler(request.CaCertificate), disposeHandler: handler is null)
        {
            BaseAddress = request.Gateway, Timeout = TimeSpan.FromMinutes(15),
        };
        var path = "/v1/residency/scan" + (request.Organization is { } organization ? $"?organization={Uri.EscapeDataString(organization)}" : "");
        using var message = new HttpRequestMessage(HttpMethod.Get, path);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await client.SendAsync(message, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await error.WriteLineAsync($"The platform refused: {(int)response.StatusCode} {await BundleDownload.ProblemAsync(response, cancellationToken)}");
                return PlatformCli.Remote;
            }

            var note = await response.Content.ReadAsStringAsync(cancellationToken);
            await File.WriteAllTextAsync(request.Output.FullName, note, cancellationToken);
            await output.WriteLineAsync($"Wrote {request.Output.FullName}. Verify it with: platformctl residency verify {request.Output.Name} --key <verifier key>");
            return PlatformCli.Ok;
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException or TaskCanceledException)
        {
            await error.WriteLineAsync($"The scan failed: {exception.Message}");
            return PlatformCli.Remote;
        }
    }
}
