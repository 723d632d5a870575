using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;

namespace Platform.Identity.Oidc;

/// <summary>
/// OpenIddict's application cache for one request (OpenIddict resolves it per scope), in front of the replica's
/// <see cref="ClientCache"/>: a lookup by client id is answered from the replica's copy when there is one, else from
/// the store (and remembered there). Within the request the same entity comes back each time, as with OpenIddict's
/// own cache, so that a change made through the manager applies to the entity it found. Lookups by id and by
/// redirect URI (authorization and end-session requests, not the grants) go to the store.
/// </summary>
internal sealed class ReplicaApplicationCache(ClientCache replica, IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication>
{
    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreApplication> byClientId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenIddictEntityFrameworkCoreApplication> byId = new(StringComparer.Ordinal);

    public ValueTask AddAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken)
    {
        // The manager adds what it created or updated: this request keeps it, the replica's older copy goes.
        Remember(application);
        if (application.ClientId is { } clientId) replica.Invalidate(clientId);
        return default;
    }

    public async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByClientIdAsync(string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        if (byClientId.TryGetValue(identifier, out var found)) return found;
        if (replica.TryGet(identifier, out found))
        {
            Remember(found);
            return found;
        }

        var readAt = replica.Generation;
        found = await store.FindByClientIdAsync(identifier, cancellationToken);
        if (found is null) return null; // Unknown ids are not remembered: anyone can send them.
        replica.Add(found, readAt);
        Remember(found);
        return found;
    }

    public async ValueTask<OpenIddictEntityFrameworkCoreApplication?> FindByIdAsync(string identifier, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        if (byId.TryGetValue(identifier, out var found)) return found;
        found = await store.FindByIdAsync(identifier, cancellationToken);
        if (found is not null) Remember(found);
        return found;
    }

    public IAsyncEnumerable<OpenIddictEntityFrameworkCoreApplication> FindByPostLogoutRedirectUriAsync(string uri, CancellationToken cancellationToken) =>
        store.FindByPostLogoutRedirectUriAsync(uri, cancellationToken);

    public IAsyncEnumerable<OpenIddictEntityFrameworkCoreApplication> FindByRedirectUriAsync(string uri, CancellationToken cancellationToken) =>
        store.FindByRedirectUriAsync(uri, cancellationToken);

    public ValueTask RemoveAsync(OpenIddictEntityFrameworkCoreApplication application, CancellationToken cancellationToken)
    {
        if (application.ClientId is { } clientId)
        {
            byClientId.Remove(clientId);
            replica.Invalidate(clientId);
        }

        if (application.Id is { } id) byId.Remove(id);
        return default;
    }

    private void Remember(OpenIddictEntityFrameworkCoreApplication application)
    {
        if (application.ClientId is { } clientId) byClientId[clientId] = application;
        if (application.Id is { } id) byId[id] = application;
    }
}
