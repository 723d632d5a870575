using Platform.Identity.Accounts;

namespace Platform.Identity.Scim;

/// <summary>Who a SCIM request acts as: the token's organization, the actor the audit trail names, and the request.</summary>
internal sealed record ScimCaller(string OrgId, string Actor, RequestInfo Request);
