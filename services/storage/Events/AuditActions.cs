namespace Platform.Storage.Events;

/// <summary>The changes storage writes to the audit trail as actions (services/audit/README.md, "Audit actions").</summary>
internal static class AuditActions
{
    public const string DatasetCreated = "storage.dataset.created";
    public const string DatasetDeleted = "storage.dataset.deleted";
    public const string ObjectStored = "storage.object.stored";
    public const string ObjectDeleted = "storage.object.deleted";
    public const string ObjectProcessed = "storage.object.processed";
    public const string KeyVersionDestroyed = "storage.key-version.destroyed";
}
