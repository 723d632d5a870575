namespace Platform.Messaging;

/// <summary>Event ids: <c>evt_</c> and a version 7 UUID, so ids sort by creation time like every other Platform id.</summary>
public static class EventIds
{
    public const string Prefix = "evt_";

    public static string New() => Prefix + Guid.CreateVersion7().ToString("N");
}
