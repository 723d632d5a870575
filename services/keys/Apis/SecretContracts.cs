using Platform.Keys.Secrets;

namespace Platform.Keys.Apis;

/// <summary><c>PUT …/secrets/{name}</c>: the value, at most 8 KiB of UTF-8. It is never returned.</summary>
public sealed record SecretValueRequest(string Value);

/// <summary>A secret's metadata: never its value, its ciphertext or a hash of either.</summary>
public sealed record SecretResponse(string Name, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    internal static SecretResponse From(Secret secret) => new(secret.Name, secret.Version, secret.CreatedAt, secret.UpdatedAt, secret.UpdatedBy);
}

/// <summary>A page of secrets by name; <c>next</c> is the <c>after</c> of the next page, null on the last.</summary>
public sealed record SecretListResponse(IReadOnlyList<SecretResponse> Items, string? Next);

/// <summary>The internal reveal's answer, for a consuming service only.</summary>
public sealed record RevealedSecretResponse(string Name, int Version, string Value);
