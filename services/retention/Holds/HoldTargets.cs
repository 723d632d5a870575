using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Messaging.Contracts;
using Platform.Retention.Model;
using Platform.Security.Tokens;

namespace Platform.Retention.Holds;

/// <summary>Whether a hold's target exists in the organization: <see cref="Found"/>, or not (absent and another organization's alike), or unknown.</summary>
internal enum TargetCheck
{
    Found,
    NotFound,
    Unavailable,
}

/// <summary>
/// Checks what a hold would cover, in the caller's organization only. A dataset at storage (its internal API, with
/// retention's service credential); a user among identity's members of the organization (identity's own members API,
/// with the caller's access token, so retention learns nothing the caller could not read); a data class in the
/// shared list; the organization is the caller's own. Services are found by service discovery.
/// </summary>
internal sealed partial class HoldTargets(IHttpClientFactory clients, IOptions<RetentionOptions> options, ILogger<HoldTargets> logger)
{
    public const string StorageClient = "storage";
    public const string IdentityClient = "identity";

    public async Task<TargetCheck> CheckAsync(string organizationId, string scope, string target, HttpContext http, CancellationToken cancellationToken) => scope switch
    {
        HoldScopes.Organization => target == organizationId ? TargetCheck.Found : TargetCheck.NotFound,
        HoldScopes.DataClass => DataClasses.IsKnown(target) ? TargetCheck.Found : TargetCheck.NotFound,
        HoldScopes.Dataset => await DatasetAsync(organizationId, target, cancellationToken),
        HoldScopes.User => await MemberAsync(organizationId, target, http, cancellationToken),
        _ => TargetCheck.NotFound,
    };

    private async Task<TargetCheck> DatasetAsync(string organizationId, string datasetId, CancellationToken cancellationToken)
    {
        // A pinned dataset (ds_<region>_…) is asked of its region's storage (storage-<region> in service discovery).
        var region = System.Text.RegularExpressions.Regex.Match(datasetId, "^ds_([a-z0-9]{1,16})_[0-9a-f]{32}$", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
        var storage = region.Success ? $"http://storage-{region.Groups[1].Value}" : "http://storage";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{storage}/internal/v1/organizations/{Uri.EscapeDataString(organizationId)}/datasets/{Uri.EscapeDataString(datasetId)}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.StorageToken);
        return await SendAsync(StorageClient, request, _ => true, cancellationToken);
    }

    private async Task<TargetCheck> MemberAsync(string organizationId, string userId, HttpContext http, CancellationToken cancellationToken)
    {
        if (!AccessTokenValidator.TryReadBearer(http.Request, out var token)) return TargetCheck.Unavailable;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{Uri.EscapeDataString(organizationId)}/members");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await SendAsync(IdentityClient, request, body =>
            body.TryGetProperty("items", out var items) && items.EnumerateArray().Any(m => m.TryGetProperty("userId", out var id) && id.GetString() == userId), cancellationToken);
    }

    private async Task<TargetCheck> SendAsync(string client, HttpRequestMessage request, Func<JsonElement, bool> matches, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(client).SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound) return TargetCheck.NotFound;
            if (!response.IsSuccessStatusCode)
            {
                LogRefused(logger, client, (int)response.StatusCode);
                return TargetCheck.Unavailable;
            }

            using var body = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return matches(body.RootElement) ? TargetCheck.Found : TargetCheck.NotFound;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            LogUnreachable(logger, client, exception.GetType().Name);
            return TargetCheck.Unavailable;
        }
    }

    [LoggerMessage(EventId = 1621, Level = LogLevel.Warning, Message = "Checking a hold target at {Service} was answered {Status}")]
    private static partial void LogRefused(ILogger logger, string service, int status);

    [LoggerMessage(EventId = 1622, Level = LogLevel.Warning, Message = "Checking a hold target at {Service} failed ({Reason})")]
    private static partial void LogUnreachable(ILogger logger, string service, string reason);
}
