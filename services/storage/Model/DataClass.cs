using Platform.Messaging.Contracts;

namespace Platform.Storage.Model;

/// <summary>
/// The data classes an object may have: those of the platform's closed list (<see cref="Platform.Messaging.Contracts.DataClasses"/>,
/// shared with retention) that storage owns. Its API name is the snake_case text.
/// </summary>
internal static class DataClasses
{
    public static readonly IReadOnlyList<string> All = Platform.Messaging.Contracts.DataClasses.OwnedBy("storage");

    public static bool IsKnown(string? value) => value is not null && All.Contains(value);
}
