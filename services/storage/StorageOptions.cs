namespace Platform.Storage;

/// <summary>The <c>Storage</c> section; checked at start-up by <see cref="StorageOptionsValidator"/>.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The region this instance serves (one instance per region): every dataset and key belongs to it.</summary>
    public string Region { get; set; } = "";

    /// <summary>The filesystem root under which this region's blobs live (<c>&lt;BlobRoot&gt;/&lt;Region&gt;/…</c>).</summary>
    public string BlobRoot { get; set; } = "";

    public RootKeyOptions RootKey { get; set; } = new();

    /// <summary>Plaintext bytes per streaming segment; each segment carries a 16-byte tag. Stored in each object's header.</summary>
    public int SegmentSize { get; set; } = 64 * 1024;

    /// <summary>The largest object an upload may carry (413 above it).</summary>
    public long MaxObjectBytes { get; set; } = 16L * 1024 * 1024 * 1024;

    /// <summary>How long an organization key version is used before a new one is made (per organization overridable).</summary>
    public TimeSpan RotationPeriod { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often the rotation scheduler and the rewrapper look for work.</summary>
    public TimeSpan MaintenanceInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Encryptions per key version before it is rotated. NIST SP 800-38D section 8.3 bounds random 96-bit nonces to
    /// 2^32 invocations of one key; the default stays well below it.
    /// </summary>
    public long KeyUsageLimit { get; set; } = 4_000_000_000;

    /// <summary>Wrapped data keys moved to the newest key version per rewrap batch.</summary>
    public int RewrapBatchSize { get; set; } = 500;

    /// <summary>
    /// How long a blob without a metadata row, or a file in <c>.incoming/</c>, is left alone after its last write before
    /// the orphan sweeper removes it: longer than any upload takes from its last byte to its row's commit.
    /// </summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often the orphan sweeper walks the blob root.</summary>
    public TimeSpan OrphanSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How uploads share the disk's flushes and the database's round trips (<see cref="Objects.UploadCommitter"/>).</summary>
    public GroupCommitOptions GroupCommit { get; set; } = new();

    /// <summary>How deletion reaches backups (issue 16 item 3): key epochs, and when a retired version is destroyed.</summary>
    public BackupReachOptions BackupReach { get; set; } = new();

    /// <summary>Services that call the transit and key management APIs, each limited to its organizations.</summary>
    public List<ServiceCaller> ServiceTokens { get; set; } = [];
}

public sealed class RootKeyOptions
{
    /// <summary><c>File</c> (development) or <c>Pkcs11</c> (an HSM holds the root key).</summary>
    public string Provider { get; set; } = "File";

    /// <summary>File provider: base64 of at least 32 random bytes, inline (from a secret parameter); the root key is derived from it.</summary>
    public string? Key { get; set; }

    /// <summary>File provider: a file holding base64 of at least 32 random bytes.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// File provider: where each organization's own key is kept (wrapped by the root key), playing the HSM's part. A
    /// crypto-shred deletes the organization's file, so keep this folder out of the database's backups.
    /// </summary>
    public string? OrganizationKeyFolder { get; set; }

    /// <summary>The file provider keeps the root key in process memory; outside Development it needs this explicit yes.</summary>
    public bool AllowFileProviderInProduction { get; set; }

    public Pkcs11Options Pkcs11 { get; set; } = new();
}

public sealed class Pkcs11Options
{
    public string LibraryPath { get; set; } = "";

    public string TokenLabel { get; set; } = "";

    public string Pin { get; set; } = "";

    public string KeyLabel { get; set; } = "platform-storage-root";

    /// <summary>Generate the (non-extractable) root key in the token when no key has <see cref="KeyLabel"/>.</summary>
    public bool CreateKeyIfMissing { get; set; }
}

public sealed class ServiceCaller
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    /// <summary>Organization ids this service may use keys of, or "*".</summary>
    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the service may call from (<c>…:Networks:N</c>); none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];

    public bool MayUse(string organizationId) => Organizations.Contains("*") || Organizations.Contains(organizationId);
}

/// <summary>
/// <c>Storage:BackupReach</c>: an organization key version wraps new data keys for at most <see cref="EpochRotation"/>;
/// once no stored object's data key is wrapped by a retired version any more, the version is destroyed
/// <see cref="BackupRetention"/> later (when every backup that can hold a data key wrapped by it has expired). A deleted
/// object is then unreadable from every backup within <see cref="Bound"/> ≥ EpochRotation + BackupRetention + the
/// maintenance interval. BackupRetention must be at least the backups' own retention (<c>Retention:Backups:Retention</c>).
/// </summary>
public sealed class BackupReachOptions
{
    public TimeSpan Bound { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan EpochRotation { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan BackupRetention { get; set; } = TimeSpan.FromDays(21);

    /// <summary>
    /// The longest between two reports of a transit caller (keys' <c>Keys:Secrets:RewrapInterval</c>): a transit version
    /// falls unused only once its callers have rewrapped their live ciphertexts and said so (<c>PUT /internal/v1/transit-seals</c>).
    /// </summary>
    public TimeSpan TransitReportInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A seal this recent is not released by a report that leaves it out: its ciphertext may still be on its way into the caller's database.</summary>
    public TimeSpan TransitGrace { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// <c>Storage:GroupCommit</c>: uploads whose bytes are written wait together for one round of fsyncs and one database
/// transaction. A batch takes every upload waiting when the previous one ends, at most <see cref="MaxBatch"/>; while
/// other uploads are still writing their last bytes it waits for them, at most <see cref="MaxWait"/>.
/// </summary>
public sealed class GroupCommitOptions
{
    public int MaxBatch { get; set; } = 64;

    public TimeSpan MaxWait { get; set; } = TimeSpan.FromMilliseconds(2);
}
