using System.Collections.Concurrent;
using Npgsql;

namespace Platform.Identity.Oidc;

/// <summary>
/// The organization that owns each client (<c>client_owners</c>), for the <c>org_id</c> of client-credentials tokens.
/// A client's owner is set when it is created and never changes, so it is read once per client and remembered
/// instead of being queried on every grant.
/// </summary>
internal sealed class ClientOwners(NpgsqlDataSource dataSource)
{
    private readonly ConcurrentDictionary<string, string> owners = new(StringComparer.Ordinal);

    public async ValueTask<string?> OrganizationOfAsync(string clientId, CancellationToken cancellationToken)
    {
        if (owners.TryGetValue(clientId, out var orgId)) return orgId;
        await using var command = dataSource.CreateCommand("SELECT org_id FROM client_owners WHERE client_id = $1");
        command.Parameters.AddWithValue(clientId);
        if (await command.ExecuteScalarAsync(cancellationToken) is not string found) return null;
        // Bounded by the number of clients, which only Owners and Admins create (with a step-up).
        owners.TryAdd(clientId, found);
        return found;
    }

    /// <summary>The owning organization's id and name, for the consent page (not cached: names change).</summary>
    public async Task<(string Id, string Name)?> DescribeAsync(string clientId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT o.id, o.name FROM client_owners c JOIN organizations o ON o.id = c.org_id WHERE c.client_id = $1");
        command.Parameters.AddWithValue(clientId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1)) : null;
    }
}
