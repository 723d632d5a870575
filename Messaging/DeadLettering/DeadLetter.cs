namespace Platform.Messaging;

/// <summary>A message in the service's dead-letter queue, as an operator sees it (the body itself is not shown).</summary>
/// <param name="MessageId">The event id, when the message had one; <see cref="DeadLetters.ReplayAsync"/> takes it.</param>
/// <param name="Type">The wire type, e.g. <c>audit.recorded</c>.</param>
/// <param name="OriginalRoutingKey">The routing key it was published with, used again on replay.</param>
/// <param name="Reason">A stable code and a sanitized detail, e.g. <c>handler-failed: TimeoutException: ...</c>.</param>
/// <param name="Attempts">Delivery attempts before it was dead-lettered.</param>
/// <param name="DeadLetteredAt">When it was dead-lettered, when known.</param>
/// <param name="BodyBytes">The size of the body.</param>
public sealed record DeadLetter(
    string? MessageId,
    string? Type,
    string OriginalRoutingKey,
    string Reason,
    int Attempts,
    DateTimeOffset? DeadLetteredAt,
    int BodyBytes);
