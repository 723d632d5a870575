using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Platform.Retention.Holds;
using Platform.Security.Tokens;

namespace Platform.Retention.Dsar;

/// <summary>
/// Finds the person a data-subject request is about among the organization's members, by user id or email, at
/// identity's members API with the caller's own token (retention learns nothing the caller could not read). A person
/// the organization does not hold — another organization's member included — is not found.
/// </summary>
internal sealed partial class SubjectLookup(IHttpClientFactory clients, ILogger<SubjectLookup> logger)
{
    public async Task<(TargetCheck Check, string? UserId, string? Email)> FindAsync(string organizationId, string? userId, string? email, HttpContext http, CancellationToken cancellationToken)
    {
        if (!AccessTokenValidator.TryReadBearer(http.Request, out var token)) return (TargetCheck.Unavailable, null, null);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{Uri.EscapeDataString(organizationId)}/members");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await clients.CreateClient(HoldTargets.IdentityClient).SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound) return (TargetCheck.NotFound, null, null);
            if (!response.IsSuccessStatusCode)
            {
                LogRefused(logger, (int)response.StatusCode);
                return (TargetCheck.Unavailable, null, null);
            }

            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            foreach (var member in body.RootElement.GetProperty("items").EnumerateArray())
            {
                var id = member.GetProperty("userId").GetString();
                var address = member.GetProperty("email").GetString();
                if ((userId is not null && id == userId) || (email is not null && string.Equals(address, email, StringComparison.OrdinalIgnoreCase)))
                    return (TargetCheck.Found, id, address);
            }

            return (TargetCheck.NotFound, null, null);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            LogUnreachable(logger, exception.GetType().Name);
            return (TargetCheck.Unavailable, null, null);
        }
    }

    [LoggerMessage(EventId = 1671, Level = LogLevel.Warning, Message = "Looking up a data subject at identity was answered {Status}")]
    private static partial void LogRefused(ILogger logger, int status);

    [LoggerMessage(EventId = 1672, Level = LogLevel.Warning, Message = "Looking up a data subject at identity failed ({Reason})")]
    private static partial void LogUnreachable(ILogger logger, string reason);
}
