using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Platform.Keys.Secrets;

/// <summary>Storage could not be reached or did not answer (or refused this service's credential): a 503, nothing stored.</summary>
internal sealed class TransitUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Storage answered the request with a problem: <see cref="Status"/> and its problem <see cref="Type"/>.</summary>
internal sealed class TransitRefusedException(int status, string? type) : Exception($"Storage's transit API refused the request with {status}.")
{
    public int Status { get; } = status;

    public string? Type { get; } = type;
}

/// <summary>
/// Storage's transit API (SPEC ENC-API) as keys uses it for KEY-SECRETS: the value is sealed under the organization's
/// key with an encryption context that binds organization, secret name and purpose, so a ciphertext copied to another
/// row, organization or use does not decrypt. Storage is found by service discovery (<c>http://storage</c>).
/// </summary>
internal sealed partial class TransitClient(IHttpClientFactory clients, IOptions<KeySecretsOptions> options, ILogger<TransitClient> logger)
{
    public const string Purpose = "keys.secret";
    public const string BaseAddress = "http://storage";

    public async Task<string> EncryptAsync(string organizationId, string name, ReadOnlyMemory<byte> plaintext, CancellationToken cancellationToken)
    {
        var body = new { plaintext = Convert.ToBase64String(plaintext.Span), context = Context(organizationId, name) };
        using var answer = await SendAsync(organizationId, "encrypt", body, cancellationToken);
        return answer.RootElement.GetProperty("ciphertext").GetString()
            ?? throw new TransitUnavailableException("Storage's encrypt answer had no ciphertext.");
    }

    public async Task<byte[]> DecryptAsync(string organizationId, string name, string ciphertext, CancellationToken cancellationToken)
    {
        var body = new { ciphertext, context = Context(organizationId, name) };
        using var answer = await SendAsync(organizationId, "decrypt", body, cancellationToken);
        return Convert.FromBase64String(answer.RootElement.GetProperty("plaintext").GetString()
            ?? throw new TransitUnavailableException("Storage's decrypt answer had no plaintext."));
    }

    /// <summary>The secret's ciphertext sealed again under the organization's current key version (storage's rewrap: the value stays inside storage).</summary>
    public async Task<string> RewrapAsync(string organizationId, string name, string ciphertext, CancellationToken cancellationToken)
    {
        var body = new { ciphertext, context = Context(organizationId, name) };
        using var answer = await SendAsync($"/internal/v1/transit/{Uri.EscapeDataString(organizationId)}/rewrap", HttpMethod.Post, organizationId, "rewrap", body, cancellationToken);
        return answer.RootElement.GetProperty("ciphertext").GetString()
            ?? throw new TransitUnavailableException("Storage's rewrap answer had no ciphertext.");
    }

    /// <summary>
    /// Tells storage every key version this service's live ciphertexts are under, per organization (complete: a version
    /// left out may be destroyed once every backup has expired); the answer is each reported organization's current version.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, int>> ReportSealsAsync(IReadOnlyDictionary<string, int[]> versions, CancellationToken cancellationToken)
    {
        using var answer = await SendAsync("/internal/v1/transit-seals", HttpMethod.Put, "*", "report", new { organizations = versions }, cancellationToken);
        return answer.RootElement.GetProperty("current").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
    }

    internal static Dictionary<string, string> Context(string organizationId, string name) => new()
    {
        ["organization"] = organizationId,
        ["secret"] = name,
        ["purpose"] = Purpose,
    };

    private Task<JsonDocument> SendAsync(string organizationId, string operation, object body, CancellationToken cancellationToken) =>
        SendAsync($"/internal/v1/transit/{Uri.EscapeDataString(organizationId)}/{operation}", HttpMethod.Post, organizationId, operation, body, cancellationToken);

    private async Task<JsonDocument> SendAsync(string path, HttpMethod method, string organizationId, string operation, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = JsonContent.Create(body),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.StorageToken);

        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(nameof(TransitClient)).SendAsync(request, cancellationToken);
        }
        catch (Exception exception) when (exception is HttpRequestException or Polly.Timeout.TimeoutRejectedException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnreachable(logger, operation, organizationId, exception.GetType().Name);
            throw new TransitUnavailableException("Storage's transit API could not be reached.", exception);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            }

            var status = (int)response.StatusCode;
            if (status >= 500 || response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
            {
                // 401/403: this service's credential is not (or no longer) one storage accepts; the operator must fix it.
                LogUnavailable(logger, operation, organizationId, status);
                throw new TransitUnavailableException($"Storage's transit API answered {status}.");
            }

            throw new TransitRefusedException(status, await ProblemTypeAsync(response, cancellationToken));
        }
    }

    private static async Task<string?> ProblemTypeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var problem = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            return problem.RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Storage's transit {Operation} for {OrganizationId} could not be reached ({Error})")]
    private static partial void LogUnreachable(ILogger logger, string operation, string organizationId, string error);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Storage's transit {Operation} for {OrganizationId} answered {Status}")]
    private static partial void LogUnavailable(ILogger logger, string operation, string organizationId, int status);
}
