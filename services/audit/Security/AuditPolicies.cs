using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Platform.Audit.Apis;
using Platform.Security.Authentication;

namespace Platform.Audit.Security;

/// <summary>
/// Who reads the audit log (which organization: <see cref="AuditAccess"/>, in the endpoint): an operator's reader
/// credential on a direct call, or a customer — an identity access token validated here, with the scope
/// <c>platform.audit</c> and one of the <see cref="ReaderRoles"/> of its organization. Each refusal is a problem and,
/// for a principal, an audit entry.
/// </summary>
internal static class AuditPolicies
{
    /// <summary>Events, export, checkpoints, proofs and verification.</summary>
    public const string Read = "audit.read";

    /// <summary>The service's own operations (dead letters): operators' reader credentials only.</summary>
    public const string Operate = "audit.operate";

    public const string Scope = "platform.audit";

    /// <summary>The organization roles that read their organization's log.</summary>
    public static readonly string[] ReaderRoles = ["Owner", "Admin", "Auditor"];

    public static AuthorizationBuilder AddAuditPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPlatformPolicy(Read,
            // A credential of a kind this API does not take (an API key through the gateway) is no credential here.
            new PlatformRequirement("unauthenticated", "Authentication required",
                "Send an identity access token through the gateway, or an operator's reader credential directly to the audit service.",
                (user, _) => user.IsOperator(AuditReaderCredentials.Role) || IsCustomer(user), status: 401) { Challenge = _ => "Bearer" },
            new PlatformRequirement("insufficient-scope", "The token lacks the scope this API needs", $"This API needs an access token with the scope '{Scope}'.",
                (user, _) => !IsCustomer(user) || user.HasScope(Scope)) { Challenge = _ => $"Bearer error=\"insufficient_scope\", scope=\"{Scope}\"" },
            new PlatformRequirement("insufficient-role", "Your role does not allow this",
                $"The audit log is read by these organization roles: {string.Join(", ", ReaderRoles)}.",
                (user, _) => !IsCustomer(user) || (user.HasRole(ReaderRoles) && user.OrganizationId() is not null)))
        .AddPlatformPolicy(Operate, new PlatformRequirement("unauthenticated", "Authentication required",
            "Send an operator's reader credential as 'Authorization: Bearer <token>', directly to the audit service.",
            (user, _) => user.IsOperator(AuditReaderCredentials.Role), status: 401) { Challenge = _ => "Bearer" });

    /// <summary>
    /// A user (or client) whose access token this service validated itself: never a user described only by
    /// <c>X-Platform-User</c> headers, which a caller past the gateway could write when no signing key is set.
    /// </summary>
    public static bool IsCustomer(ClaimsPrincipal user) =>
        user.IsKind(PrincipalKinds.User) && user.Identity?.AuthenticationType == PlatformSchemes.AccessToken;
}
