using Platform.Keys.Model;
using Platform.Messaging;

namespace Platform.Keys.Events;

// What happened to keys, for other services (routing keys key.*). Ids, never secrets or hashes.

[IntegrationEvent("key.created")]
public sealed record KeyCreated : IntegrationEvent
{
    public required string KeyId { get; init; }

    public required string Environment { get; init; }

    public required string DisplayPrefix { get; init; }

    public required IReadOnlyList<KeyScope> Scopes { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>The key this one replaces, when it was issued by a rotation.</summary>
    public string? RotatedFrom { get; init; }
}

[IntegrationEvent("key.rotated")]
public sealed record KeyRotated : IntegrationEvent
{
    public required string KeyId { get; init; }

    public required string NewKeyId { get; init; }

    /// <summary>Until when the old key still works (the overlap window).</summary>
    public required DateTimeOffset OldKeyExpiresAt { get; init; }
}

[IntegrationEvent("key.revoked")]
public sealed record KeyRevoked : IntegrationEvent
{
    public required string KeyId { get; init; }

    public required DateTimeOffset RevokedAt { get; init; }
}

[IntegrationEvent("key.updated")]
public sealed record KeyUpdated : IntegrationEvent
{
    public required string KeyId { get; init; }

    /// <summary>The fields that changed, by their API names (<c>scopes</c>, <c>expiresAt</c>, …).</summary>
    public required IReadOnlyList<string> Changed { get; init; }
}
