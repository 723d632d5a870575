using Platform.Security.Authentication;
using Npgsql;
using Platform.Keys.Data;
using Platform.Keys.Events;
using Platform.Keys.Model;
using Platform.Messaging;

namespace Platform.Keys.Lifecycle;

/// <summary>A newly issued key: the secret, shown once and stored nowhere, and its metadata.</summary>
internal sealed record IssuedKey(string Secret, ApiKey Key);

/// <summary>
/// Creates, changes, rotates and revokes keys. Each change, its <c>key.*</c> event and its audit entry commit in one
/// transaction (outbox); after the commit the gateways are told to drop what they cached about the key.
/// </summary>
internal sealed partial class KeyManager(
    NpgsqlDataSource dataSource,
    KeyHasher hasher,
    IOutbox outbox,
    GatewayInvalidations invalidations,
    TimeProvider time,
    ILogger<KeyManager> logger)
{
    public async Task<IssuedKey> CreateAsync(string organizationId, KeyDraft draft, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var secret = KeyFormat.Generate(draft.Environment);
        var key = new ApiKey(KeyIds.New(), organizationId, draft.Name, draft.Environment, secret[..KeyFormat.DisplayPrefixLength], draft.Scopes,
            draft.AllowedCidrs, draft.RateLimit, now, context.Actor, now, draft.ExpiresAt, null, null, null, null, 0);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = await KeyStore.InsertAsync(key, hasher.Hash(secret), transaction, cancellationToken);
        await outbox.EnqueueAsync([Created(stored, now), Audit("key.created", stored, context, now)], transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogCreated(logger, stored.Id, stored.OrganizationId, stored.DisplayPrefix, context.Actor);
        return new IssuedKey(secret, stored);
    }

    public async Task<Outcome<ApiKey>> UpdateAsync(string organizationId, string keyId, KeyChanges changes, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var key = await KeyStore.LockAsync(organizationId, keyId, transaction, cancellationToken);
        if (key is null) return Refusal.NotFound;
        if (key.RevokedAt is not null) return Refusal.Revoked;
        // A rotated key is on its way out: its successor is the one to change.
        if (key.RotatedTo is not null) return Refusal.AlreadyRotated;

        var (changed, fields) = changes.ApplyTo(key);
        if (fields.Count == 0) return key;

        var stored = await KeyStore.UpdateAsync(changed with { UpdatedAt = now }, transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                new KeyUpdated { KeyId = stored.Id, Changed = fields, OrganizationId = stored.OrganizationId, OccurredAt = now },
                Audit("key.updated", stored, context, now, new() { ["changed"] = string.Join(',', fields) }),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await invalidations.KeyChangedAsync(stored.Id);
        LogUpdated(logger, stored.Id, string.Join(',', fields), context.Actor);
        return stored;
    }

    /// <summary>
    /// Issues a successor with the same settings; the old key keeps working for <paramref name="overlap"/> (never
    /// beyond its own expiry), so clients can switch without downtime (SPEC KEY-ROTATE).
    /// </summary>
    public async Task<Outcome<IssuedKey>> RotateAsync(string organizationId, string keyId, TimeSpan overlap, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var old = await KeyStore.LockAsync(organizationId, keyId, transaction, cancellationToken);
        if (old is null) return Refusal.NotFound;
        switch (old.StatusAt(now))
        {
            case KeyStatus.Revoked: return Refusal.Revoked;
            case KeyStatus.Expired: return Refusal.Expired;
        }

        if (old.RotatedTo is not null) return Refusal.AlreadyRotated;

        var secret = KeyFormat.Generate(old.Environment);
        var successor = old with
        {
            Id = KeyIds.New(), DisplayPrefix = secret[..KeyFormat.DisplayPrefixLength], CreatedAt = now, CreatedBy = context.Actor,
            UpdatedAt = now, RevokedAt = null, RotatedFrom = old.Id, RotatedTo = null, LastUsedAt = null, UseCount = 0,
        };
        var stored = await KeyStore.InsertAsync(successor, hasher.Hash(secret), transaction, cancellationToken);
        var oldEnd = old.ExpiresAt is { } expiry && expiry < now + overlap ? expiry : now + overlap;
        await KeyStore.UpdateAsync(old with { RotatedTo = stored.Id, ExpiresAt = oldEnd, UpdatedAt = now }, transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                Created(stored, now),
                new KeyRotated { KeyId = old.Id, NewKeyId = stored.Id, OldKeyExpiresAt = oldEnd, OrganizationId = organizationId, OccurredAt = now },
                Audit("key.rotated", old, context, now, new()
                {
                    ["newKeyId"] = stored.Id,
                    ["oldKeyExpiresAt"] = oldEnd.UtcDateTime.ToString("O"),
                }),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await invalidations.KeyChangedAsync(old.Id);
        LogRotated(logger, old.Id, stored.Id, stored.DisplayPrefix, oldEnd, context.Actor);
        return new IssuedKey(secret, stored);
    }

    /// <summary>Revokes at once (SPEC KEY-REVOKE). Revoking a revoked key changes nothing and succeeds.</summary>
    public async Task<Outcome<ApiKey>> RevokeAsync(string organizationId, string keyId, ChangeContext context, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var key = await KeyStore.LockAsync(organizationId, keyId, transaction, cancellationToken);
        if (key is null) return Refusal.NotFound;
        if (key.RevokedAt is not null) return key;

        var stored = await KeyStore.UpdateAsync(key with { RevokedAt = now, UpdatedAt = now }, transaction, cancellationToken);
        await outbox.EnqueueAsync(
            [
                new KeyRevoked { KeyId = stored.Id, RevokedAt = now, OrganizationId = organizationId, OccurredAt = now },
                Audit("key.revoked", stored, context, now),
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        await invalidations.KeyChangedAsync(stored.Id);
        LogRevoked(logger, stored.Id, stored.DisplayPrefix, context.Actor);
        return stored;
    }

    private static KeyCreated Created(ApiKey key, DateTimeOffset now) => new()
    {
        KeyId = key.Id,
        Environment = key.Environment.Name(),
        DisplayPrefix = key.DisplayPrefix,
        Scopes = key.Scopes,
        ExpiresAt = key.ExpiresAt,
        RotatedFrom = key.RotatedFrom,
        OrganizationId = key.OrganizationId,
        OccurredAt = now,
    };

    private static AuditRecorded Audit(string action, ApiKey key, ChangeContext context, DateTimeOffset now, Dictionary<string, string>? details = null)
    {
        details ??= [];
        details["displayPrefix"] = key.DisplayPrefix;
        details["environment"] = key.Environment.Name();
        return new AuditRecorded
        {
            OccurredAt = now,
            OrganizationId = key.OrganizationId,
            Actor = context.Actor,
            Action = action,
            Target = key.Id,
            Outcome = "success",
            Ip = context.Ip,
            RequestId = context.RequestId,
            UserAgent = context.UserAgent,
            Details = details,
        };
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Key {KeyId} ({DisplayPrefix}) created for {OrganizationId} by {Actor}")]
    private static partial void LogCreated(ILogger logger, string keyId, string organizationId, string displayPrefix, string actor);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Key {KeyId} updated ({Changed}) by {Actor}")]
    private static partial void LogUpdated(ILogger logger, string keyId, string changed, string actor);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Key {KeyId} rotated to {NewKeyId} ({DisplayPrefix}); the old key works until {OldKeyExpiresAt:O}; by {Actor}")]
    private static partial void LogRotated(ILogger logger, string keyId, string newKeyId, string displayPrefix, DateTimeOffset oldKeyExpiresAt, string actor);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Key {KeyId} ({DisplayPrefix}) revoked by {Actor}")]
    private static partial void LogRevoked(ILogger logger, string keyId, string displayPrefix, string actor);
}
