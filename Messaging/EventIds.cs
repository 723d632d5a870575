namespace Platform.Messaging;

/// <summary>Event ids: <c>evt_</c> and a version 7 UUID, so ids sort by creation time like every other Platform id.</summary>
public static class EventIds
{
    public const string Prefix = "evt_";

    public static string New() => Prefix + Guid.CreateVersion7().ToString("N");

    /// <summary>
    /// Whether an id that arrived can be used: it becomes a primary key, a log field and a header, so it must be
    /// printable and 1 to 200 characters long (whatever its sender's format).
    /// </summary>
    public static bool IsUsable(string? id) => !string.IsNullOrWhiteSpace(id) && id.Length <= 200 && !id.Any(char.IsControl);
}
