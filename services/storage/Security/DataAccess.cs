using System.Security.Claims;
using Platform.Security.Authentication;

namespace Platform.Storage.Security;

/// <summary>
/// What the request's principal may touch (contract item 4; the table in services/storage/README.md): the datasets of
/// its environment (an API key's <c>live</c>/<c>test</c>; users work on <c>live</c> data) at its level of the
/// <c>dataset</c> permission (a user's by role: Owner, Admin and Developer <c>full</c>, Viewer <c>read_only</c>, any
/// other role — an Auditor, who reads the audit log and nothing else — none).
/// </summary>
internal sealed record DataAccess(string Actor, string Environment, string? Level)
{
    public const string Permission = "dataset";
    public const string Full = "full";
    public const string ReadOnly = "read_only";
    public const string LabelerOnly = "labeler_only";
    public const string Restricted = "restricted";
    public const string Live = "live";

    /// <summary>The only data class a <c>labeler_only</c> key writes, replaces or deletes.</summary>
    public const string LabelerClass = "annotation";

    private static readonly string[] writerRoles = ["Owner", "Admin", "Developer"];
    private static readonly string[] readerRoles = ["Viewer"];

    public static DataAccess Of(ClaimsPrincipal principal) => principal.Kind() switch
    {
        PrincipalKinds.ApiKey => new(principal.Actor()!, principal.KeyEnvironment() ?? Live, principal.KeyLevel(Permission)),
        PrincipalKinds.User => new(principal.Actor()!, Live,
            principal.HasRole(writerRoles) ? Full : principal.HasRole(readerRoles) ? ReadOnly : null),
        _ => new(principal.Actor() ?? "", Live, null),
    };

    /// <summary>Whether this level may write an object of <paramref name="dataClass"/> (or delete or replace one of it).</summary>
    /// <summary>Whether this level may write, replace or delete an object of any class (<see cref="MayChange"/> holds for all).</summary>
    public bool MayChangeEveryClass => Level == Full;

    public bool MayChange(string dataClass) => Level == Full || (Level == LabelerOnly && dataClass == LabelerClass);
}
