using Microsoft.Extensions.Options;

namespace Platform.Identity.Passwords;

/// <summary>
/// What a new password must be (OWASP Authentication Cheat Sheet, NIST SP 800-63B section 5.1.1.2): long enough, not
/// absurdly long, and not in the bundled list of common and breached-pattern passwords. No composition rules.
/// </summary>
internal sealed class PasswordPolicy
{
    private readonly HashSet<string> common;
    private readonly PasswordSettings settings;

    public PasswordPolicy(IOptions<IdentityOptions> options)
    {
        settings = options.Value.Passwords;
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("common-passwords.txt")
            ?? throw new InvalidOperationException("The common password list is not embedded.");
        using var reader = new StreamReader(stream);
        common = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#')) common.Add(line);
        }
    }

    public int CommonCount => common.Count;

    /// <returns>Why the password is refused, or null when it is acceptable.</returns>
    public string? Check(string? password, string? email)
    {
        if (string.IsNullOrEmpty(password)) return "A password is required.";
        var length = new System.Globalization.StringInfo(password).LengthInTextElements;
        if (length < settings.MinLength) return $"The password is too short: use at least {settings.MinLength} characters (a passphrase of a few words works well).";
        if (password.Length > settings.MaxLength) return $"The password is too long: at most {settings.MaxLength} characters.";
        var lower = password.ToLowerInvariant();
        if (common.Contains(lower)) return "This password is too common: it appears in lists of breached passwords. Choose another.";
        if (email is { Length: > 0 })
        {
            var local = email.Split('@')[0].ToLowerInvariant();
            if (lower == email.ToLowerInvariant() || (local.Length >= 4 && lower.Contains(local, StringComparison.Ordinal)))
            {
                return "The password must not contain your email address.";
            }
        }

        if (lower.Distinct().Count() < 4) return "The password repeats too few characters: choose something less predictable.";
        return null;
    }
}
