namespace Platform.SecurityConsole.Auth;

/// <summary>The named HttpClient for the console's calls to the platform's public address (the gateway).</summary>
internal static class PlatformHttp
{
    public const string Name = "platform";
}
