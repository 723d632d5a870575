namespace Platform.Identity.Model;

/// <summary>
/// Organization roles (ID-ORG), strongest first; then <see cref="Auditor"/>, who reads the organization's audit log
/// (audit service) and may do nothing else that Owners and Admins may.
/// </summary>
internal static class OrgRoles
{
    public const string Owner = "Owner";
    public const string Admin = "Admin";
    public const string Developer = "Developer";
    public const string Viewer = "Viewer";
    public const string Auditor = "Auditor";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Developer, Viewer, Auditor];

    /// <summary>The answer to a role that is not one of <see cref="All"/>.</summary>
    public static readonly string Expected = $"role must be one of: {string.Join(", ", All)}.";

    public static bool IsValid(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);

    /// <summary>Owners and Admins administer the organization: members, invitations, clients, settings.</summary>
    public static bool Administers(string? role) => role is Owner or Admin;
}

/// <summary>Resource roles on datasets and projects (ID-ORG), strongest first.</summary>
internal static class ResourceRoles
{
    public const string Owner = "Owner";
    public const string Editor = "Editor";
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Owner, Editor, Viewer];

    public static readonly IReadOnlyList<string> Types = ["dataset", "project"];

    public static bool IsValid(string? role) => role is not null && All.Contains(role, StringComparer.Ordinal);

    public static bool IsValidType(string? type) => type is not null && Types.Contains(type, StringComparer.Ordinal);
}
