namespace Platform.Storage.Keys;

internal enum KeyUnavailableReason
{
    /// <summary>The organization has no keys here (never used storage in this region).</summary>
    UnknownOrganization,

    /// <summary>The organization has no such key version: the ciphertext is from elsewhere.</summary>
    UnknownVersion,

    /// <summary>The version is below the organization's minimum decryption version.</summary>
    Retired,

    /// <summary>The organization's keys were destroyed (crypto-shredded).</summary>
    Destroyed,

    /// <summary>This one version was destroyed after it was retired (deletion that reaches backups).</summary>
    VersionDestroyed,
}

/// <summary>A key the operation needs cannot be used; the API maps the reason to a problem.</summary>
internal sealed class KeyUnavailableException(KeyUnavailableReason reason) : Exception($"Organization key unavailable: {reason}.")
{
    public KeyUnavailableReason Reason { get; } = reason;
}
