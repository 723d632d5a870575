using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Security.Tokens;

/// <summary>
/// The identity service's signing keys, from its JWKS: fetched at most every <c>MinimumJwksRefresh</c>, again every
/// <c>JwksRefreshInterval</c>, and at once (within that minimum) when a token names a key not seen yet,
/// which is how a rotated key is picked up. A failed fetch keeps the keys already known.
/// </summary>
public sealed partial class SigningKeySet(HttpClient http, AccessTokenOptions settings, TimeProvider time, ILogger<SigningKeySet> logger)
{
    private readonly SemaphoreSlim fetching = new(1, 1);
    private IReadOnlyList<SecurityKey> keys = [];
    private DateTimeOffset fetchedAt = DateTimeOffset.MinValue;

    public async Task<IReadOnlyList<SecurityKey>> GetAsync(string? keyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var known = keyId is null || keys.Any(k => k.KeyId == keyId);
        var stale = now - fetchedAt > settings.JwksRefreshInterval;
        if ((known && !stale) || now - fetchedAt < settings.MinimumJwksRefresh) return keys;

        await fetching.WaitAsync(cancellationToken);
        try
        {
            if (time.GetUtcNow() - fetchedAt < settings.MinimumJwksRefresh) return keys;
            try
            {
                using var response = await http.GetAsync(settings.EffectiveJwksUrl, cancellationToken);
                response.EnsureSuccessStatusCode();
                var set = new JsonWebKeySet(await response.Content.ReadAsStringAsync(cancellationToken));
                // Signing keys only, asymmetric only: a symmetric "key" in a JWKS would let anyone who read it sign.
                keys = set.GetSigningKeys().Where(k => k is AsymmetricSecurityKey or JsonWebKey { Kty: "RSA" or "EC" }).ToArray();
                LogFetched(logger, keys.Count);
            }
            catch (Exception exception) when (exception is HttpRequestException or ArgumentException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                LogFetchFailed(logger, exception.GetType().Name, keys.Count);
            }

            fetchedAt = time.GetUtcNow();
            return keys;
        }
        finally
        {
            fetching.Release();
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Fetched {Count} token signing keys")]
    private static partial void LogFetched(ILogger logger, int count);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "The token signing keys could not be fetched ({ErrorType}); the {Count} known keys stay in use")]
    private static partial void LogFetchFailed(ILogger logger, string errorType, int count);
}
