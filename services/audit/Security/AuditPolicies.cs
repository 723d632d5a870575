using Microsoft.AspNetCore.Authorization;
using Platform.Audit.Apis;
using Platform.Security.Authentication;

namespace Platform.Audit.Security;

/// <summary>Who reads the audit log: an audit reader credential, on a direct call (which organizations: the endpoint).</summary>
internal static class AuditPolicies
{
    public const string Read = "audit.read";

    public static AuthorizationBuilder AddAuditPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPlatformPolicy(Read, new PlatformRequirement("unauthenticated", "Authentication required",
            "Send a reader credential as 'Authorization: Bearer <token>', directly to the audit service.",
            (user, _) => user.IsOperator(AuditReaderCredentials.Role), status: 401) { Challenge = _ => "Bearer" });
}
