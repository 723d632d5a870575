using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Messaging;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Oidc;

internal sealed record NewClient(string ClientId, string? ClientSecret, string Type);

/// <summary>A client as its organization's administrators see it: never its secret.</summary>
internal sealed record ClientSummary(string ClientId, string Name, string Type, IReadOnlyList<string> Scopes, IReadOnlyList<string> RedirectUris, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// OAuth clients of an organization. Types: <c>machine</c> (client credentials, confidential), <c>web</c>
/// (code + PKCE + refresh, confidential) and <c>spa</c> (code + PKCE + refresh, public). Redirect URIs must match
/// exactly (RFC 9700 section 2.1); user-facing clients ask for consent once.
/// </summary>
internal sealed class ClientService(
    IOpenIddictApplicationManager applications,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    NpgsqlDataSource dataSource,
    IOutbox outbox,
    ClientCache cache,
    TimeProvider clock)
{
    /// <summary>How long a change waits for this replica's listener to hear its NOTIFY (sent to every replica at the commit).</summary>
    private static readonly TimeSpan HeardWithin = TimeSpan.FromSeconds(2);

    public static readonly IReadOnlyList<string> Types = ["machine", "web", "spa"];

    /// <returns>Null and the reason when the request is invalid.</returns>
    public static string? Validate(string? name, string? type, IReadOnlyList<string>? redirectUris, IReadOnlyList<string>? scopes)
    {
        if (name is not { Length: > 0 and <= 100 } || name.Any(char.IsControl)) return "name must be 1 to 100 characters.";
        if (type is null || !Types.Contains(type)) return "type must be one of: machine, web, spa.";
        if (scopes is null || scopes.Count is 0 or > 10 || scopes.Any(s => !OidcScopes.ClientSelectable.Contains(s)))
        {
            return $"scopes must be 1 to 10 of: {string.Join(", ", OidcScopes.ClientSelectable)}.";
        }

        if (type == "machine" && scopes.Any(s => !OidcScopes.Api.Contains(s))) return $"A machine client can only have platform scopes: {string.Join(", ", OidcScopes.Api)}.";
        if (type == "machine" && redirectUris is { Count: > 0 }) return "A machine client has no redirect URIs.";
        if (type != "machine")
        {
            if (redirectUris is null || redirectUris.Count is 0 or > 10) return "redirectUris needs 1 to 10 absolute URIs.";
            foreach (var uri in redirectUris)
            {
                if (uri.Length > 2000 || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.Fragment.Length > 0
                    || !(parsed.Scheme == Uri.UriSchemeHttps || (parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback)))
                {
                    return "Each redirect URI must be an absolute https URI (http only on loopback) without a fragment.";
                }
            }
        }

        return null;
    }

    public async Task<NewClient> CreateAsync(string orgId, string actorId, string name, string type, IReadOnlyList<string> redirectUris, IReadOnlyList<string> scopes, RequestInfo request, CancellationToken cancellationToken)
    {
        var clientId = Ids.NewClient();
        var secret = type == "spa" ? null : SecretTokens.New();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = clientId,
            ClientSecret = secret,
            DisplayName = name,
            ClientType = secret is null ? ClientTypes.Public : ClientTypes.Confidential,
            ConsentType = type == "machine" ? ConsentTypes.Implicit : ConsentTypes.Explicit,
        };
        descriptor.Permissions.Add(Permissions.Endpoints.Token);
        descriptor.Permissions.Add(Permissions.Endpoints.Revocation);
        if (secret is not null) descriptor.Permissions.Add(Permissions.Endpoints.Introspection);
        if (type == "machine")
        {
            descriptor.Permissions.Add(Permissions.GrantTypes.ClientCredentials);
        }
        else
        {
            descriptor.Permissions.Add(Permissions.Endpoints.Authorization);
            descriptor.Permissions.Add(Permissions.GrantTypes.AuthorizationCode);
            descriptor.Permissions.Add(Permissions.GrantTypes.RefreshToken);
            descriptor.Permissions.Add(Permissions.ResponseTypes.Code);
            descriptor.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
            foreach (var uri in redirectUris) descriptor.RedirectUris.Add(new Uri(uri));
        }

        foreach (var scope in scopes.Where(s => s != Scopes.OpenId)) descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        await applications.CreateAsync(descriptor, cancellationToken);

        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var owner = new NpgsqlCommand("INSERT INTO client_owners (client_id, org_id, created_by, created_at) VALUES ($1, $2, $3, $4)", connection, transaction))
        {
            owner.Parameters.AddWithValue(clientId);
            owner.Parameters.AddWithValue(orgId);
            owner.Parameters.AddWithValue(actorId);
            owner.Parameters.AddWithValue(now);
            await owner.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(request.Audit(now, actorId, AuditActions.ClientCreated, "success", clientId, orgId,
            new Dictionary<string, string> { ["type"] = type, ["scopes"] = string.Join(' ', scopes) }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new NewClient(clientId, secret, type);
    }

    /// <summary>The organization's clients, newest first (at most 200).</summary>
    public async Task<IReadOnlyList<ClientSummary>> ListAsync(string orgId, CancellationToken cancellationToken)
    {
        var owned = new List<(string ClientId, string CreatedBy, DateTimeOffset CreatedAt)>();
        await using (var command = dataSource.CreateCommand("SELECT client_id, created_by, created_at FROM client_owners WHERE org_id = $1 ORDER BY created_at DESC, client_id LIMIT 200"))
        {
            command.Parameters.AddWithValue(orgId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) owned.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        var list = new List<ClientSummary>(owned.Count);
        foreach (var (clientId, createdBy, createdAt) in owned)
        {
            if (await applications.FindByClientIdAsync(clientId, cancellationToken) is not { } application) continue;
            var permissions = await applications.GetPermissionsAsync(application, cancellationToken);
            var type = await applications.HasClientTypeAsync(application, ClientTypes.Public, cancellationToken) ? "spa"
                : permissions.Contains(Permissions.GrantTypes.ClientCredentials) ? "machine" : "web";
            var scopes = permissions.Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal)).Select(p => p[Permissions.Prefixes.Scope.Length..]).ToList();
            if (type != "machine") scopes.Insert(0, Scopes.OpenId);
            list.Add(new ClientSummary(clientId, await applications.GetDisplayNameAsync(application, cancellationToken) ?? clientId, type, scopes,
                [.. await applications.GetRedirectUrisAsync(application, cancellationToken)], createdBy, createdAt));
        }

        return list;
    }

    public const int MaxOverlapSeconds = 7 * 86_400;

    /// <summary>
    /// A new secret for a confidential client of the organization. The replaced one keeps working until
    /// <paramref name="previousUntil"/> (null: it stops at once), while the client's deployments change over; a later
    /// rotation ends any earlier overlap.
    /// </summary>
    /// <returns>The new secret; null when the organization has no such client; an empty string for a public client (no secret).</returns>
    public async Task<string?> RotateSecretAsync(string orgId, string clientId, DateTimeOffset? previousUntil, string actorId, RequestInfo request, CancellationToken cancellationToken)
    {
        if (await OwnedAsync(orgId, clientId, cancellationToken) is not { } application) return null;
        if (await applications.HasClientTypeAsync(application, ClientTypes.Public, cancellationToken)) return "";
        await using (var keep = dataSource.CreateCommand(
            """
            UPDATE client_owners SET previous_secret = CASE WHEN $3 THEN (SELECT "ClientSecret" FROM oidc."OpenIddictApplications" WHERE "ClientId" = $1) END,
                previous_secret_until = CASE WHEN $3 THEN $4 END
            WHERE client_id = $1 AND org_id = $2
            """))
        {
            keep.Parameters.AddWithValue(clientId);
            keep.Parameters.AddWithValue(orgId);
            keep.Parameters.AddWithValue(previousUntil is not null);
            keep.Parameters.AddWithValue(previousUntil ?? DateTimeOffset.UnixEpoch);
            await keep.ExecuteNonQueryAsync(cancellationToken);
        }

        var secret = SecretTokens.New();
        // The replaced secret is refused on every replica once this returns: each drops its copy on the NOTIFY.
        var heard = cache.ExpectChange(clientId, HeardWithin);
        await applications.UpdateAsync(application, secret, cancellationToken);
        await heard();
        await AuditAsync(request, actorId, AuditActions.ClientSecretRotated, clientId, orgId, cancellationToken,
            new Dictionary<string, string> { ["previousSecretValidUntil"] = previousUntil?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "" });
        return secret;
    }

    /// <summary>
    /// Deletes a client of the organization with its authorizations and refresh tokens (OpenIddict's store removes
    /// them): its secret and refresh tokens are refused from then on. Its access tokens are JWTs the gateway validates
    /// without asking identity, so one already issued lives out its lifetime (minutes).
    /// </summary>
    public async Task<bool> DeleteAsync(string orgId, string clientId, string actorId, RequestInfo request, CancellationToken cancellationToken)
    {
        if (await OwnedAsync(orgId, clientId, cancellationToken) is not { } application) return false;
        var heard = cache.ExpectChange(clientId, HeardWithin);
        await applications.DeleteAsync(application, cancellationToken);
        await heard();
        await using (var command = dataSource.CreateCommand("DELETE FROM client_owners WHERE client_id = $1 AND org_id = $2"))
        {
            command.Parameters.AddWithValue(clientId);
            command.Parameters.AddWithValue(orgId);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await AuditAsync(request, actorId, AuditActions.ClientDeleted, clientId, orgId, cancellationToken);
        return true;
    }

    /// <summary>
    /// The client, to be changed, when this organization owns it (another organization's client looks like no client).
    /// Read from the store, not the replica's <see cref="ClientCache"/>: a change needs the row this request's
    /// database context tracks (OpenIddict's update reads the client id again through the store, and a detached cached
    /// copy beside that tracked row cannot be attached).
    /// </summary>
    private async Task<object?> OwnedAsync(string orgId, string clientId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1 FROM client_owners WHERE client_id = $1 AND org_id = $2");
        command.Parameters.AddWithValue(clientId);
        command.Parameters.AddWithValue(orgId);
        if (await command.ExecuteScalarAsync(cancellationToken) is null) return null;
        return await store.FindByClientIdAsync(clientId, cancellationToken);
    }

    private async Task AuditAsync(RequestInfo request, string actorId, string action, string clientId, string orgId, CancellationToken cancellationToken, Dictionary<string, string>? details = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actorId, action, "success", clientId, orgId, details ?? []), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
