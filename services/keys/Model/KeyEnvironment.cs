namespace Platform.Keys.Model;

/// <summary>Where a key may be used: <c>live</c> data or the <c>test</c> sandbox. The key's prefix says which.</summary>
internal enum KeyEnvironment
{
    Live,
    Test,
}

internal static class KeyEnvironments
{
    public const string Live = "live";
    public const string Test = "test";

    public static string Name(this KeyEnvironment environment) => environment == KeyEnvironment.Live ? Live : Test;

    public static bool TryParse(string? name, out KeyEnvironment environment)
    {
        environment = name == Test ? KeyEnvironment.Test : KeyEnvironment.Live;
        return name is Live or Test;
    }
}
