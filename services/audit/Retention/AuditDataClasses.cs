using Platform.Messaging.Contracts;

namespace Platform.Audit.Retention;

/// <summary>
/// Each entry's data class (SPEC RET-POLICY), read from its action: the gateway's one-per-request <c>http.request</c>
/// entries are API request logs (<c>request_log</c>), every other entry is the account audit log (<c>audit_log</c>).
/// </summary>
internal static class AuditDataClasses
{
    public const string RequestLogAction = "http.request";

    public static string Of(string action) => action == RequestLogAction ? DataClasses.RequestLog : DataClasses.AuditLog;
}
