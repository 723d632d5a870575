namespace Platform.Keys.Secrets;

/// <summary>What is known about a stored secret without its value: all the API ever shows.</summary>
internal sealed record Secret(string OrganizationId, string Name, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>A secret's metadata with its transit ciphertext, as stored; the ciphertext never leaves the service.</summary>
internal sealed record SealedSecret(Secret Secret, string Ciphertext);
