using Platform.Keys.Data;
using Platform.Keys.Model;

namespace Platform.Keys.Lifecycle;

/// <summary>A key's verdict: the key when it may be used, otherwise why not.</summary>
internal sealed record Verification(ApiKey? Key, string? Reason)
{
    public const string Malformed = "malformed";
    public const string Unknown = "unknown";
    public const string Expired = "expired";
    public const string Revoked = "revoked";
}

/// <summary>
/// Answers the gateway's "may this key be used?" (SPEC KEY-FMT, KEY-STORE). A key that fails the format check is
/// refused before any lookup. Every well-formed key costs one HMAC, one indexed lookup and one constant-time
/// comparison whether or not it exists, so timing does not tell a stored hash from an unknown one.
/// </summary>
internal sealed partial class KeyVerifier(KeyStore store, KeyHasher hasher, TimeProvider time, ILogger<KeyVerifier> logger)
{
    private static readonly byte[] decoy = new byte[KeyHasher.HashLength];

    public async Task<Verification> VerifyAsync(string? presented, CancellationToken cancellationToken)
    {
        if (!KeyFormat.TryParse(presented, out var parsed))
        {
            // Nothing of a malformed key is logged: it may be a real key with a typo.
            LogMalformed(logger);
            return new Verification(null, Verification.Malformed);
        }

        var hash = hasher.Hash(presented!);
        var found = await store.FindByHashAsync(hash, cancellationToken);
        var matches = KeyHasher.Matches(found?.Hash ?? decoy, hash);
        var key = found?.Key;
        var now = time.GetUtcNow();

        var reason = !matches || key is null || key.Environment != parsed.Environment ? Verification.Unknown
            : key.StatusAt(now) switch
            {
                KeyStatus.Revoked => Verification.Revoked,
                KeyStatus.Expired => Verification.Expired,
                _ => null,
            };

        if (reason is not null)
        {
            LogRefused(logger, parsed.DisplayPrefix, reason);
            return new Verification(null, reason);
        }

        return new Verification(key, null);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "A malformed key was refused")]
    private static partial void LogMalformed(ILogger logger);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Debug, Message = "Key {DisplayPrefix} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string displayPrefix, string reason);
}
