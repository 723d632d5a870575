namespace Platform.ServiceDefaults;

/// <summary>Names of the activity sources and meters every service listens to.</summary>
public static class TelemetrySources
{
    /// <summary>Every source or meter a Platform service creates is named <c>Platform.Something</c>.</summary>
    public const string Platform = "Platform.*";
}
