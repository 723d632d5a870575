namespace Platform.Identity.Model;

/// <summary>Opaque, typed, time-ordered ids (SPEC conventions): a prefix and a version 7 UUID in hex.</summary>
internal static class Ids
{
    public static string NewUser() => "usr_" + Guid.CreateVersion7().ToString("N");

    public static string NewOrganization() => "org_" + Guid.CreateVersion7().ToString("N");

    public static string NewInvitation() => "inv_" + Guid.CreateVersion7().ToString("N");

    public static string NewClient() => "cli_" + Guid.CreateVersion7().ToString("N");

    public static string NewSigningKey() => "sig_" + Guid.CreateVersion7().ToString("N");

    /// <summary>Ids the client sends back: a known prefix, at most 64 letters, digits, '_' or '-'.</summary>
    public static bool IsWellFormed(string? value, string prefix) =>
        value is { Length: > 4 and <= 64 } && value.StartsWith(prefix, StringComparison.Ordinal)
        && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
