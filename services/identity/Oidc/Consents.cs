using System.Collections.Immutable;
using System.Text.Json;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Oidc;

/// <summary>
/// A user's consent to a client: for the scopes shown and for the one organization the client will act in (ID-OIDC).
/// Stored as OpenIddict permanent authorizations with the organization as a property, so that revoking a user's
/// authorizations (password reset) revokes their consents too. A consent for one organization is no consent for
/// another: a client acting outside its owning organization needs its own, explicit grant.
/// </summary>
internal sealed class Consents(IOpenIddictAuthorizationManager authorizations, TimeProvider clock)
{
    private const string OrganizationProperty = "platform_organization";

    /// <param name="orgId">The organization the tokens are for; empty for a user without organizations.</param>
    public async Task<bool> HasAsync(string userId, string applicationId, string orgId, ImmutableArray<string> scopes, CancellationToken cancellationToken)
    {
        await foreach (var consent in authorizations.FindAsync(userId, applicationId, Statuses.Valid, AuthorizationTypes.Permanent, scopes, cancellationToken))
        {
            var properties = await authorizations.GetPropertiesAsync(consent, cancellationToken);
            if (properties.TryGetValue(OrganizationProperty, out var org) && org.ValueKind == JsonValueKind.String && org.GetString() == orgId) return true;
        }

        return false;
    }

    public async Task GrantAsync(string userId, string applicationId, string orgId, IEnumerable<string> scopes, CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictAuthorizationDescriptor
        {
            ApplicationId = applicationId,
            CreationDate = clock.GetUtcNow(),
            Status = Statuses.Valid,
            Subject = userId,
            Type = AuthorizationTypes.Permanent,
        };
        descriptor.Scopes.UnionWith(scopes);
        descriptor.Properties[OrganizationProperty] = JsonSerializer.SerializeToElement(orgId);
        await authorizations.CreateAsync(descriptor, cancellationToken);
    }
}
