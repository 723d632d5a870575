using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.Residency;

/// <summary>An organization's residency as the residency service answers it: where its new datasets may go, and the default.</summary>
internal sealed record ResidencyAnswer(string Mode, string? Region, IReadOnlyList<string> AllowedRegions, string DefaultRegion)
{
    public const string SingleRegion = "single-region";

    public string? PinnedRegion => Mode == SingleRegion ? Region : null;
}

/// <summary>
/// Organizations' residency, read from the residency service and cached per organization for
/// <c>Gateway:Residency:CacheDuration</c>. When the service cannot answer, a stale entry is used; with none, null:
/// the request is refused (503) rather than sent to a region the organization may not use.
/// </summary>
internal sealed partial class OrganizationResidencies(HttpClient http, IOptions<ResidencyRoutingOptions> options, TimeProvider time, ILogger<OrganizationResidencies> logger)
{
    private readonly ConcurrentDictionary<string, (ResidencyAnswer Answer, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);
    private readonly ResidencyRoutingOptions settings = options.Value;

    // Bumped by every invalidation: an answer fetched across one is used for its request but not cached.
    private long generation;

    public bool Enabled => settings.Url is not null;

    public ValueTask<ResidencyAnswer?> GetAsync(string organizationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var found = cache.TryGetValue(organizationId, out var cached);
        if (found && cached.Until > now) return ValueTask.FromResult<ResidencyAnswer?>(cached.Answer);
        return new ValueTask<ResidencyAnswer?>(FetchAsync(organizationId, found ? cached.Answer : null, now, cancellationToken));
    }

    /// <summary>Drops the organization's cached answer (its residency changed): the next request asks the service.</summary>
    public void Invalidate(string organizationId)
    {
        cache.TryRemove(organizationId, out _);
        Interlocked.Increment(ref generation);
    }

    private async Task<ResidencyAnswer?> FetchAsync(string organizationId, ResidencyAnswer? stale, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var started = Interlocked.Read(ref generation);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.Url!, $"/internal/v1/residency/organizations/{Uri.EscapeDataString(organizationId)}"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ServiceToken);
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var answer = await response.Content.ReadFromJsonAsync<ResidencyAnswer>(cancellationToken) ?? throw new HttpRequestException("empty answer");
            if (cache.Count >= settings.MaxCachedAnswers) cache.Clear();
            if (Interlocked.Read(ref generation) == started) cache[organizationId] = (answer, now + settings.CacheDuration);
            return answer;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(logger, organizationId, stale is not null, exception.GetType().Name);
            return stale;
        }
    }

    [LoggerMessage(EventId = 4801, Level = LogLevel.Warning, Message = "The residency of {OrganizationId} could not be read ({ErrorType}); stale answer used: {Stale}")]
    private static partial void LogUnavailable(ILogger logger, string organizationId, bool stale, string errorType);
}
