namespace Platform.Retention.Backups;

/// <summary>
/// <c>Retention:Backups</c> (issue 16 item 3): where the platform's encrypted backup sets go, what they hold, how long
/// they live, and who may take and restore them. No <see cref="Folder"/>: backups are off (the endpoints answer 503).
/// Checked at start-up by <see cref="BackupOptionsValidator"/>; the keys are never logged or answered.
/// </summary>
public sealed class BackupOptions
{
    public const string Section = "Retention:Backups";

    /// <summary>An absolute folder; each backup set is a sub-folder <c>bk_…</c>.</summary>
    public string Folder { get; set; } = "";

    /// <summary>The backup key (a secret of at least 32 characters): each payload file is encrypted with AES-256-GCM under a key derived from it.</summary>
    public string Key { get; set; } = "";

    /// <summary>The manifest's Ed25519 signing key (seed: SHA-256 of this secret, at least 32 characters).</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>How long a backup set is kept; expired sets are deleted by <see cref="BackupExpiryService"/>.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(21);

    /// <summary>Storage's <c>Storage:BackupReach:EpochRotation</c>: the longest a key version wraps new data keys.</summary>
    public TimeSpan KeyEpochRotation { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The promise: a deleted item is unrecoverable from every backup within this bound. Retention + KeyEpochRotation
    /// (+ storage's maintenance interval, checked there) must fit in it.
    /// </summary>
    public TimeSpan DeletionBound { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often expired backup sets are looked for, on the injected clock.</summary>
    public TimeSpan ExpiryInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Where pg_dump and pg_restore are; by default the newest of Debian's /usr/lib/postgresql/N/bin, else PATH.</summary>
    public string? PostgresBinDirectory { get; set; }

    public List<BackupDatabase> Databases { get; set; } = [];

    public List<BackupBlobRoot> BlobRoots { get; set; } = [];

    /// <summary>Backup operators (direct calls only, from their networks); only those with <c>Restore</c> may restore.</summary>
    public List<BackupOperator> Operators { get; set; } = [];

    public bool Enabled => Folder.Length > 0;
}

public sealed class BackupDatabase
{
    /// <summary>A short name (letters, digits, <c>-</c>), the file's name in the set: e.g. <c>storage-us</c>.</summary>
    public string Name { get; set; } = "";

    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// For a database holding transit ciphertexts (keys' <c>organization_secrets</c>): the configured storage database
    /// whose key versions sealed them (storage's transit instance, e.g. <c>storage-us</c>). A restore applies live
    /// secrets' current ciphertexts from the live database and drops the rows whose version that storage destroyed.
    /// </summary>
    public string? TransitKeys { get; set; }
}

public sealed class BackupBlobRoot
{
    public string Name { get; set; } = "";

    /// <summary>The absolute folder (storage's <c>Storage:BlobRoot</c>).</summary>
    public string Path { get; set; } = "";

    /// <summary>The database whose <c>objects</c> rows name these blobs (storage's), for a restore to drop unrecoverable ones.</summary>
    public string? Database { get; set; }
}

public sealed class BackupOperator
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    public List<string> Networks { get; set; } = [];

    /// <summary>May restore (and everything else); without it: create, list and verify only.</summary>
    public bool Restore { get; set; }
}
