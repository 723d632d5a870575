using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Platform.Retention.Backups;

/// <summary>Backup set ids: <c>bk_&lt;UTC time&gt;_&lt;8 hex&gt;</c>, sorting by time; anything else names no set.</summary>
internal static partial class BackupIds
{
    public static string New(DateTimeOffset now) =>
        $"bk_{now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public static bool IsWellFormed(string? id) => id is not null && Pattern().IsMatch(id);

    [GeneratedRegex("^bk_[0-9]{8}T[0-9]{6}Z_[0-9a-f]{8}$")]
    private static partial Regex Pattern();
}
