using System.Net.Mail;

namespace Platform.Identity.Model;

/// <summary>Email addresses as accepted at sign-up and in invitations; compared in their normalized (lower-case) form.</summary>
internal static class EmailAddress
{
    public const int MaxLength = 254; // RFC 5321 section 4.5.3.1.3 (path) less the angle brackets

    public static bool TryNormalize(string? value, out string normalized)
    {
        normalized = "";
        if (value is null) return false;
        var trimmed = value.Trim();
        if (trimmed.Length is 0 or > MaxLength || trimmed.Any(char.IsControl) || trimmed.Any(char.IsWhiteSpace)) return false;
        var at = trimmed.LastIndexOf('@');
        if (at <= 0 || at == trimmed.Length - 1 || at > 64) return false;
        var domain = trimmed[(at + 1)..];
        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains("..", StringComparison.Ordinal)) return false;
        if (!MailAddress.TryCreate(trimmed, out var parsed) || parsed.Address != trimmed || parsed.DisplayName.Length > 0) return false;
        normalized = trimmed.ToLowerInvariant();
        return true;
    }
}
