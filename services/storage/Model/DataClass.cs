namespace Platform.Storage.Model;

/// <summary>What an object holds, for retention (SPEC RET-POLICY); its API name is the snake_case text.</summary>
internal static class DataClasses
{
    public static readonly IReadOnlyList<string> All = ["image", "annotation", "artifact", "model_weights", "heatmap"];

    public static bool IsKnown(string? value) => value is not null && All.Contains(value);
}
