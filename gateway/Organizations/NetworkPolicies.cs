using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;

namespace Platform.Gateway.Organizations;

/// <summary>An organization's IP allowlist; empty means every address.</summary>
internal sealed record NetworkPolicy(IReadOnlyList<IPNetwork> Allowed)
{
    public static readonly NetworkPolicy Open = new([]);

    public bool Allows(IPAddress? address)
    {
        if (Allowed.Count == 0) return true;
        if (address is null) return false;
        for (var index = 0; index < Allowed.Count; index++)
        {
            if (Allowed[index].Contains(address)) return true;
        }

        return false;
    }
}

/// <summary>
/// Organizations' IP allowlists (SPEC GW-IP), read from the keys service and cached per organization for
/// <c>Gateway:Keys:PolicyCacheDuration</c>; a change announced on Redis drops the entry at once. When the keys service
/// cannot answer, a stale entry is used; with none, the request is refused (503): an allowlist is never skipped.
/// </summary>
internal sealed partial class NetworkPolicies(HttpClient http, IOptions<ApiKeyOptions> options, TimeProvider time, ILogger<NetworkPolicies> logger)
{
    private readonly ConcurrentDictionary<string, (NetworkPolicy Policy, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);
    private readonly ApiKeyOptions settings = options.Value;

    public bool Enabled => settings.Url is not null;

    /// <remarks>A cached policy comes back synchronously, without a task: this runs for every request made for an organization.</remarks>
    public ValueTask<NetworkPolicy> GetAsync(string organizationId, CancellationToken cancellationToken)
    {
        if (!Enabled) return ValueTask.FromResult(NetworkPolicy.Open);
        var now = time.GetUtcNow();
        var found = cache.TryGetValue(organizationId, out var cached);
        if (found && cached.Until > now) return ValueTask.FromResult(cached.Policy);
        return new ValueTask<NetworkPolicy>(FetchAsync(organizationId, found, cached.Policy, now, cancellationToken));
    }

    private async Task<NetworkPolicy> FetchAsync(string organizationId, bool found, NetworkPolicy? stale, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.Url!, $"/internal/v1/organizations/{Uri.EscapeDataString(organizationId)}/network-policy"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ServiceToken);
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            var answer = await response.Content.ReadFromJsonAsync<PolicyAnswer>(cancellationToken);
            var policy = new NetworkPolicy((answer?.AllowedCidrs ?? []).Select(Parse).OfType<IPNetwork>().ToArray());
            if (cache.Count >= settings.MaxCachedAnswers) cache.Clear();
            cache[organizationId] = (policy, now + settings.PolicyCacheDuration);
            return policy;
        }
        catch (Exception exception) when (found && exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogStale(logger, organizationId, exception.GetType().Name);
            return stale!;
        }
    }

    public void Invalidate(string organizationId)
    {
        if (cache.TryRemove(organizationId, out _)) LogInvalidated(logger, organizationId);
    }

    private IPNetwork? Parse(string cidr)
    {
        if (IPNetwork.TryParse(cidr, out var network)) return network;
        if (IPAddress.TryParse(cidr, out var address)) return new IPNetwork(address, address.GetAddressBytes().Length * 8);
        // An entry the gateway cannot read matches nothing: the allowlist only narrows.
        LogUnreadable(logger);
        return null;
    }

    private sealed record PolicyAnswer(IReadOnlyList<string>? AllowedCidrs);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "The network policy of {OrganizationId} could not be refreshed ({ErrorType}); the cached one applies")]
    private static partial void LogStale(ILogger logger, string organizationId, string errorType);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Debug, Message = "Network policy of {OrganizationId} dropped from the cache")]
    private static partial void LogInvalidated(ILogger logger, string organizationId);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "An organization allowlist entry could not be read and matches no address")]
    private static partial void LogUnreadable(ILogger logger);
}
