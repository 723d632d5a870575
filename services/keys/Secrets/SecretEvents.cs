using Platform.Messaging;

namespace Platform.Keys.Secrets;

/// <summary>A secret was created or replaced (SPEC KEY-SECRETS): name, version and actor, never the value.</summary>
[IntegrationEvent("secret.stored")]
public sealed record SecretStored : IntegrationEvent
{
    public required string Name { get; init; }

    public required int Version { get; init; }

    public required string Actor { get; init; }
}

/// <summary>A secret was deleted; its ciphertext is gone from the database.</summary>
[IntegrationEvent("secret.deleted")]
public sealed record SecretDeleted : IntegrationEvent
{
    public required string Name { get; init; }

    public required int Version { get; init; }

    public required string Actor { get; init; }
}

/// <summary>A secret's value was handed to a consuming service (named in <see cref="Consumer"/>).</summary>
[IntegrationEvent("secret.revealed")]
public sealed record SecretRevealed : IntegrationEvent
{
    public required string Name { get; init; }

    public required int Version { get; init; }

    public required string Consumer { get; init; }
}
