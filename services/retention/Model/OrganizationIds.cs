using System.Text.RegularExpressions;

namespace Platform.Retention.Model;

/// <summary>Organization ids as the platform issues them: <c>org_</c> and 1 to 60 ASCII letters or digits.</summary>
internal static partial class OrganizationIds
{
    public static bool IsWellFormed(string? value) => value is not null && Pattern().IsMatch(value);

    [GeneratedRegex("^org_[A-Za-z0-9]{1,60}$")]
    private static partial Regex Pattern();
}
