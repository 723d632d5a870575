using System.Globalization;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Oidc;

/// <summary>
/// Registers the platform's own clients (<c>Identity:FirstPartyClients</c>, the security console) at start-up, or
/// brings an existing registration in line with the configuration (secret, redirect URIs, access token lifetime). Confidential web clients:
/// code + PKCE + refresh, every scope a user token can have, implicit consent (the platform asking for the platform's
/// own APIs); each API still checks the user's role in the token's organization.
/// </summary>
internal sealed class FirstPartyClients(IServiceProvider services, IOptions<IdentityOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        foreach (var client in options.Value.FirstPartyClients)
        {
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = client.ClientId,
                ClientSecret = client.ClientSecret,
                DisplayName = client.DisplayName.Length > 0 ? client.DisplayName : client.ClientId,
                ClientType = ClientTypes.Confidential,
                ConsentType = ConsentTypes.Implicit,
            };
            descriptor.Permissions.UnionWith([
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.Revocation, Permissions.Endpoints.EndSession,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code]);
            foreach (var scopeName in OidcScopes.ClientSelectable.Where(s => s != Scopes.OpenId)) descriptor.Permissions.Add(Permissions.Prefixes.Scope + scopeName);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            foreach (var uri in client.RedirectUris) descriptor.RedirectUris.Add(new Uri(uri));
            foreach (var uri in client.PostLogoutRedirectUris) descriptor.PostLogoutRedirectUris.Add(new Uri(uri));
            if (client.AccessTokenLifetime is { } lifetime) descriptor.Settings[Settings.TokenLifetimes.AccessToken] = lifetime.ToString("c", CultureInfo.InvariantCulture);

            var existing = await applications.FindByClientIdAsync(client.ClientId, cancellationToken);
            if (existing is null) await applications.CreateAsync(descriptor, cancellationToken);
            else await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
