namespace Platform.Identity.Pages;

/// <summary>Return URLs carried between pages: local paths only (no open redirect), never a secret.</summary>
internal static class PageLinks
{
    public static string WithReturn(string path, string? returnUrl) =>
        IsLocal(returnUrl) ? $"{path}?returnUrl={Uri.EscapeDataString(returnUrl!)}" : path;

    public static bool IsLocal(string? url) =>
        url is { Length: > 0 and <= 4096 } && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl);

    public static string Safe(string? returnUrl, string fallback = "/account") => IsLocal(returnUrl) ? returnUrl! : fallback;
}
