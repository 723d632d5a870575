namespace Platform.Retention.Backups;

/// <summary>The audit actions of backups (services/audit/README.md's catalogue).</summary>
internal static class BackupAudit
{
    public const string Created = "backup.created";
    public const string Deleted = "backup.deleted";
    public const string Verified = "backup.verified";
    public const string Restored = "backup.restored";
}
