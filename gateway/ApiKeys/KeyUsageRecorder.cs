using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// Counts key uses in memory on the request path (one dictionary update) and reports them to the keys service in
/// the background (SPEC KEY-USAGE). A report that fails is merged back and sent with the next one.
/// </summary>
internal sealed partial class KeyUsageRecorder(HttpClient http, IOptions<ApiKeyOptions> options, TimeProvider time, ILogger<KeyUsageRecorder> logger)
    : BackgroundService
{
    private ConcurrentDictionary<string, Usage> pending = new();

    public void Record(string keyId)
    {
        var now = time.GetUtcNow();
        pending.AddOrUpdate(keyId, static (_, now) => new Usage(1, now), static (_, u, now) => new Usage(u.Count + 1, now > u.LastUsedAt ? now : u.LastUsedAt), now);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Url is null) return;
        using var timer = new PeriodicTimer(settings.UsageFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await FlushAsync(settings, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: one last report below.
        }

        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await FlushAsync(settings, last.Token);
    }

    private async Task FlushAsync(ApiKeyOptions settings, CancellationToken cancellationToken)
    {
        if (pending.IsEmpty) return;
        var batch = Interlocked.Exchange(ref pending, new ConcurrentDictionary<string, Usage>());
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.Url!, "/internal/v1/keys/usage"))
            {
                Content = JsonContent.Create(new { usage = batch.Select(u => new { keyId = u.Key, count = u.Value.Count, lastUsedAt = u.Value.LastUsedAt }) }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ServiceToken);
            using var response = await http.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            LogReportFailed(logger, batch.Count, e.GetType().Name);
            foreach (var (keyId, usage) in batch)
            {
                pending.AddOrUpdate(keyId, usage, (_, u) => new Usage(u.Count + usage.Count, u.LastUsedAt > usage.LastUsedAt ? u.LastUsedAt : usage.LastUsedAt));
            }
        }
    }

    private sealed record Usage(long Count, DateTimeOffset LastUsedAt);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Reporting the use of {Keys} keys failed ({ErrorType}); the counts are kept for the next report")]
    private static partial void LogReportFailed(ILogger logger, int keys, string errorType);
}
