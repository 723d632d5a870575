using Microsoft.AspNetCore.Authorization;
using Platform.Security.Authentication;
using Platform.Storage.Model;

namespace Platform.Storage.Security;

/// <summary>
/// Who reaches which endpoint, decided on the request's one principal before the endpoint runs. Each refusal is a
/// problem and an audit event (<see cref="PlatformRequirement"/>); what depends on the object itself (its data class)
/// the endpoint decides with the same principal (<see cref="DataAccess"/>).
/// </summary>
internal static class StoragePolicies
{
    /// <summary>Lists and metadata: any level.</summary>
    public const string Read = "storage.read";

    /// <summary>An object's bytes (GET; HEAD is metadata): any level but <c>restricted</c>.</summary>
    public const string ReadContents = "storage.read-contents";

    /// <summary>Creating and deleting datasets: <c>full</c>.</summary>
    public const string Manage = "storage.manage";

    /// <summary>Storing and deleting objects: <c>full</c>, or <c>labeler_only</c> for annotations (checked per object).</summary>
    public const string WriteObjects = "storage.write-objects";

    /// <summary>Transit and organization-key APIs: a storage service credential listed for the organization.</summary>
    public const string Service = "storage.service";

    /// <summary>A storage service credential, whatever its organizations (the endpoint limits what it touches to them).</summary>
    public const string ServiceCaller = "storage.service-caller";

    public static AuthorizationBuilder AddStoragePolicies(this AuthorizationBuilder authorization) => authorization
        .AddPlatformPolicy(Read, Data([DataAccess.Full, DataAccess.ReadOnly, DataAccess.LabelerOnly, DataAccess.Restricted], "read"))
        .AddPlatformPolicy(ReadContents, Data([DataAccess.Full, DataAccess.ReadOnly, DataAccess.LabelerOnly, DataAccess.Restricted], "read")
            .Append(new PlatformRequirement("insufficient-scope", "The key lacks the scope this needs",
                "A 'restricted' key sees what exists (lists, metadata, HEAD) but never an object's contents.",
                (user, http) => HttpMethods.IsHead(http.Request.Method) || DataAccess.Of(user).Level != DataAccess.Restricted)).ToArray())
        .AddPlatformPolicy(Manage, Data([DataAccess.Full], "create or delete datasets"))
        .AddPlatformPolicy(WriteObjects, Data([DataAccess.Full, DataAccess.LabelerOnly], "store or delete objects"))
        .AddPlatformPolicy(ServiceCaller,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a storage service credential as 'Authorization: Bearer <token>', directly to the service.",
                (user, _) => user.IsOperator(ServiceTokenCredentials.Role), status: 401) { Challenge = _ => "Bearer" })
        .AddPlatformPolicy(Service,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a storage service credential as 'Authorization: Bearer <token>', directly to the service.",
                (user, _) => user.IsOperator(ServiceTokenCredentials.Role), status: 401) { Challenge = _ => "Bearer" },
            new PlatformRequirement("forbidden", "Not allowed", "This service may not use that organization's keys.",
                            // A malformed organization id is the endpoint's 404, not a refusal.
                (user, http) => http.GetRouteValue("organizationId") is string organization && (!OrganizationIds.IsWellFormed(organization) || user.OperatorMayUse(organization))));

    private static PlatformRequirement[] Data(string[] levels, string what) =>
    [
        new("unauthenticated", "Authentication required", "Call this API through the gateway with an API key or an access token.",
            (user, _) => user.IsKind(PrincipalKinds.ApiKey) || user.IsKind(PrincipalKinds.User), status: 401) { Challenge = _ => "Bearer" },
        new("forbidden", "Not allowed", "The credential belongs to another organization.",
            (user, http) => http.GetRouteValue("organizationId") is string organization && user.OrganizationId() == organization),
        new("insufficient-scope", "The key lacks the scope this needs",
            $"To {what} needs the 'dataset' permission at one of: {string.Join(", ", levels)}.",
            (user, _) => DataAccess.Of(user).Level is { } level && levels.Contains(level)),
    ];
}
