namespace Platform.Identity.Model;

/// <summary>Organization roles (ID-ORG), strongest first.</summary>
internal static class OrgRoles
{
    public const string Owner = "Owner";
    public const string Admin = "Admin";
    public const string Developer = "Developer";
    public const string Viewer = "Viewer";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Developer, Viewer];

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
