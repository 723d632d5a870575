namespace Platform.Keys.Model;

/// <summary>Uses of one key that a gateway counted since its last report (SPEC KEY-USAGE).</summary>
public sealed record KeyUsage(string KeyId, long Count, DateTimeOffset LastUsedAt);
