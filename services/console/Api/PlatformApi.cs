using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Platform.Security.Gateway;
using Platform.SecurityConsole.Auth;

namespace Platform.SecurityConsole.Api;

/// <summary>A refusal or failure of a platform API, in words, with the request id support can look up.</summary>
internal sealed record ApiProblem(int Status, string Type, string Title, string? Detail, string? RequestId, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool StepUpRequired => Type.EndsWith("/step-up-required", StringComparison.Ordinal);

    public string? ErrorFor(string field) =>
        Errors.FirstOrDefault(e => string.Equals(e.Key, field, StringComparison.OrdinalIgnoreCase)).Value is [var first, ..] ? first : null;
}

internal sealed record ApiResult(int Status, JsonElement Body, ApiProblem? Problem)
{
    public bool Ok => Problem is null;
}

/// <summary>
/// The console's only way to the platform: the public APIs through the gateway, with the signed-in user's access
/// token, exactly as a customer's own client would call them. No database, no operator credential.
/// </summary>
internal sealed partial class PlatformApi(IHttpClientFactory clients, IOptions<ConsoleOptions> options, TimeProvider clock, ILogger<PlatformApi> logger)
{
    private readonly byte[] forwardingKey = options.Value.ForwardingKey is { Length: > 0 } key ? Convert.FromBase64String(key) : [];

    public Task<ApiResult> GetAsync(UserContext user, string path, CancellationToken cancellationToken) => SendAsync(user, HttpMethod.Get, path, null, cancellationToken);

    public async Task<ApiResult> SendAsync(UserContext user, HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = Request(user, method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(PlatformHttp.Name).SendAsync(request, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, method.Method, e.GetType().Name);
            return new ApiResult(503, default, new ApiProblem(503, "https://platform.dev/problems/unavailable", "The platform could not be reached", "Try again in a moment.", null, Empty));
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var requestId = response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null;
            JsonElement json = default;
            if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.Ordinal))
            {
                try { json = JsonDocument.Parse(text).RootElement.Clone(); } catch (JsonException) { }
            }

            if (response.IsSuccessStatusCode) return new ApiResult((int)response.StatusCode, json, null);
            return new ApiResult((int)response.StatusCode, json, ProblemOf(response.StatusCode, json, requestId));
        }
    }

    /// <summary>A call of the user's: their token, and the browser's address for the gateway (<see cref="Forward"/>).</summary>
    public HttpRequestMessage Request(UserContext user, HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", user.AccessToken);
        Forward(request, user);
        return request;
    }

    /// <summary>
    /// The browser's address for the gateway (an organization's allowlist then applies to the person, not the console),
    /// signed with the key only the console and the gateway hold.
    /// </summary>
    private void Forward(HttpRequestMessage request, UserContext user)
    {
        if (forwardingKey.Length == 0 || user.BrowserAddress is not { } address) return;
        var target = new Uri(options.Value.PublicUri, request.RequestUri!).PathAndQuery;
        request.Headers.TryAddWithoutValidation(ForwardedClient.AddressHeader, address);
        request.Headers.TryAddWithoutValidation(ForwardedClient.SignatureHeader, ForwardedClient.Sign(forwardingKey, clock.GetUtcNow().ToUnixTimeSeconds(),
            request.Method.Method, target, address, request.Headers.Authorization!.ToString()));
    }

    private static ApiProblem ProblemOf(HttpStatusCode status, JsonElement json, string? requestId)
    {
        string? Text(string name) => json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var errors = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in list.EnumerateObject())
            {
                errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array ? [.. field.Value.EnumerateArray().Select(v => v.ToString())] : [field.Value.ToString()];
            }
        }

        return new ApiProblem((int)status, Text("type") ?? "about:blank", Text("title") ?? status.ToString(), Text("detail"), Text("requestId") ?? requestId, errors);
    }

    private static readonly IReadOnlyDictionary<string, string[]> Empty = new Dictionary<string, string[]>();

    [LoggerMessage(Level = LogLevel.Warning, Message = "The platform could not be reached for a {Method} ({Error}).")]
    private static partial void LogUnreachable(ILogger logger, string method, string error);
}
