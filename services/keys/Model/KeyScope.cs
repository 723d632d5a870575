namespace Platform.Keys.Model;

/// <summary>One permission of a key at one level (SPEC KEY-SCOPE), e.g. <c>{ "permission": "dataset", "level": "read_only" }</c>.</summary>
public sealed record KeyScope(string Permission, string Level);

internal static class Scopes
{
    public static readonly IReadOnlyList<string> Permissions = ["dataset", "training", "deployment"];

    public static readonly IReadOnlyList<string> Levels = ["full", "read_only", "labeler_only", "restricted"];

    /// <summary>Stored as <c>permission:level</c> in a text array.</summary>
    public static string Encode(KeyScope scope) => $"{scope.Permission}:{scope.Level}";

    public static KeyScope Decode(string stored)
    {
        var separator = stored.IndexOf(':', StringComparison.Ordinal);
        return new KeyScope(stored[..separator], stored[(separator + 1)..]);
    }
}
