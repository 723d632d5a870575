namespace Platform.Messaging.DeadLettering;

/// <summary>Why a message was dead-lettered: a stable code an operator can filter on, and a sanitized detail.</summary>
internal sealed record DeadLetterReason(string Code, string Detail)
{
    public const string Oversized = "oversized";
    public const string NotJson = "not-json";
    public const string UnknownType = "unknown-type";
    public const string MissingFields = "missing-fields";
    public const string InvalidFields = "invalid-fields";
    public const string HandlerFailed = "handler-failed";

    public static DeadLetterReason FromException(Exception exception) => new(HandlerFailed, ReasonText.Describe(exception));

    public override string ToString() => ReasonText.Sanitize($"{Code}: {Detail}");
}
