using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// Verifies API keys at the keys service and keeps the answers in memory, keyed by the SHA-256 of the key (the key
/// itself is never kept), until they expire, the key expires, or the keys service announces a change to the key.
/// </summary>
internal sealed partial class ApiKeyVerifier(HttpClient http, IOptions<ApiKeyOptions> options, TimeProvider time, ILogger<ApiKeyVerifier> logger)
{
    public const int KeyLength = 46;
    private static readonly SearchValues<char> base62 = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    private readonly ConcurrentDictionary<string, (KeyVerification Answer, DateTimeOffset Until)> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> byKeyId = new();
    private readonly ApiKeyOptions settings = options.Value;

    public bool Enabled => settings.Url is not null;

    /// <summary>The shape of a key (<c>sk_live_</c>/<c>sk_test_</c> and 38 base62 characters); its checksum is the keys service's to check.</summary>
    public static bool LooksLikeKey(string value) =>
        value.Length == KeyLength
        && (value.StartsWith("sk_live_", StringComparison.Ordinal) || value.StartsWith("sk_test_", StringComparison.Ordinal))
        && !value.AsSpan(8).ContainsAnyExcept(base62);

    /// <remarks>A cached answer comes back synchronously and without allocating: this runs for every request with a key.</remarks>
    public ValueTask<KeyVerification> VerifyAsync(string key, CancellationToken cancellationToken)
    {
        if (!Enabled || !LooksLikeKey(key)) return ValueTask.FromResult(KeyVerification.Malformed);
        Span<char> fingerprint = stackalloc char[SHA256.HashSizeInBytes * 2];
        var now = time.GetUtcNow();
        if (Cached(key, fingerprint, now) is { } cached) return ValueTask.FromResult(cached);
        return new ValueTask<KeyVerification>(AskAsync(key, new string(fingerprint), now, cancellationToken));
    }

    /// <summary>The answer this process already has for the key, without asking the keys service; else null.</summary>
    public KeyVerification? TryCached(string key)
    {
        if (!Enabled || !LooksLikeKey(key)) return null;
        Span<char> fingerprint = stackalloc char[SHA256.HashSizeInBytes * 2];
        return Cached(key, fingerprint, time.GetUtcNow());
    }

    /// <param name="fingerprint">Receives the key's fingerprint in hexadecimal, made on the stack: a cache hit looks it up without a string.</param>
    private KeyVerification? Cached(string key, Span<char> fingerprint, DateTimeOffset now)
    {
        Span<byte> ascii = stackalloc byte[KeyLength];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        Encoding.ASCII.GetBytes(key, ascii);
        SHA256.HashData(ascii, hash);
        Convert.TryToHexString(hash, fingerprint, out _);
        if (!cache.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(fingerprint, out var cached) || cached.Until <= now) return null;
        return cached.Answer.Valid && cached.Answer.ExpiresAt <= now ? cached.Answer with { Valid = false, Reason = "expired" } : cached.Answer;
    }

    private async Task<KeyVerification> AskAsync(string key, string fingerprint, DateTimeOffset now, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(settings.Url!, "/internal/v1/keys/verify"))
        {
            Content = JsonContent.Create(new { key }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ServiceToken);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var answer = await response.Content.ReadFromJsonAsync<KeyVerification>(cancellationToken)
            ?? throw new InvalidOperationException("The keys service sent an empty verification.");

        var until = now + (answer.Valid ? settings.CacheDuration : settings.NegativeCacheDuration);
        if (answer.ExpiresAt is { } expires && expires < until) until = expires;
        if (cache.Count >= settings.MaxCachedAnswers) Sweep(now);
        if (cache.Count < settings.MaxCachedAnswers || answer.Valid) cache[fingerprint] = (answer, until);
        if (answer.KeyId is { } keyId) byKeyId.GetOrAdd(keyId, _ => new())[fingerprint] = 0;
        return answer;
    }

    public int CachedAnswers => cache.Count;

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (fingerprint, entry) in cache)
        {
            if (entry.Until <= now) cache.TryRemove(fingerprint, out _);
        }

        foreach (var (keyId, fingerprints) in byKeyId)
        {
            foreach (var fingerprint in fingerprints.Keys.Where(f => !cache.ContainsKey(f))) fingerprints.TryRemove(fingerprint, out _);
            if (fingerprints.IsEmpty) byKeyId.TryRemove(keyId, out _);
        }
    }

    /// <summary>Forgets every cached answer for a key that was revoked, rotated or changed.</summary>
    public void Invalidate(string keyId)
    {
        if (!byKeyId.TryRemove(keyId, out var fingerprints)) return;
        foreach (var fingerprint in fingerprints.Keys) cache.TryRemove(fingerprint, out _);
        LogInvalidated(logger, keyId);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Dropped the cached verification of {KeyId}")]
    private static partial void LogInvalidated(ILogger logger, string keyId);
}
