using System.Net.Http.Headers;
using System.Text.Json;

namespace Platform.Identity.Sso;

/// <summary>
/// The issuer's userinfo endpoint (OpenID Connect Core 1.0 section 5.3), asked with the access token of the code
/// exchange when the ID token lacks email, email_verified or groups. Only a JSON answer for the ID token's own
/// subject is taken (5.3.2: "the sub Claim in the UserInfo Response MUST be verified to exactly match"); the access
/// token goes in the Authorization header only, never in a URL or a log.
/// </summary>
internal sealed partial class SsoUserinfo(IHttpClientFactory clients, ILogger<SsoUserinfo> logger)
{
    private const int MaxAnswer = 64 * 1024;

    /// <returns>The claims, or the refusal's reason: <c>userinfo-unavailable</c> or <c>userinfo-subject-mismatch</c>.</returns>
    public async Task<(SsoClaims? Claims, string? Reason)> ReadAsync(SsoConnection connection, string accessToken, string subject, CancellationToken cancellationToken)
    {
        using var client = clients.CreateClient(IssuerDiscovery.HttpClientName);
        using var message = new HttpRequestMessage(HttpMethod.Get, connection.UserinfoEndpoint);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "application/json"
                || response.Content.Headers.ContentLength > MaxAnswer)
            {
                LogUnavailable(logger, connection.Id, (int)response.StatusCode);
                return (null, "userinfo-unavailable");
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (body.Length > MaxAnswer) return (null, "userinfo-unavailable");
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("sub", out var sub) || sub.ValueKind != JsonValueKind.String || sub.GetString() != subject)
            {
                return (null, "userinfo-subject-mismatch");
            }

            return (SsoClaims.From(root, connection.GroupsClaim), null);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            LogUnavailable(logger, connection.Id, 0);
            return (null, "userinfo-unavailable");
        }
    }

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "The userinfo endpoint of connection {ConnectionId} did not answer usably (HTTP {Status})")]
    private static partial void LogUnavailable(ILogger logger, string connectionId, int status);
}
