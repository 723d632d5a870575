namespace Platform.Audit.Siem;

/// <summary>One organization's SIEM destination with where its delivery stands.</summary>
internal sealed record SiemDestination(
    string Id,
    string OrganizationId,
    string Kind,
    DestinationAddress Address,
    string? CaCertificate,
    DateTimeOffset CreatedAt,
    long Cursor,
    int Failures,
    DateTimeOffset? LastDeliveredAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? NextAttemptAt,
    byte[]? SealedToken)
{
    public const string SyslogTls = "syslog-tls";
    public const string SplunkHec = "splunk-hec";
}
