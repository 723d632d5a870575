using System.Security.Cryptography;
using Npgsql;

namespace Platform.Identity.Sso;

/// <summary>SQL for connections, domains, linked IdP subjects and outstanding sign-ins.</summary>
internal sealed class SsoStore(NpgsqlDataSource dataSource)
{
    private const string ConnectionColumns =
        "id, org_id, name, issuer, client_id, client_secret, scopes, default_role, authorization_endpoint, token_endpoint, jwks_uri, created_at, protocol, groups_claim, userinfo_endpoint";

    private const string DomainColumns = "org_id, domain, connection_id, verification_token, verified_at, sso_only";

    public async Task InsertConnectionAsync(SsoConnection c, string createdBy, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"INSERT INTO sso_connections ({ConnectionColumns}, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            transaction.Connection, transaction);
        foreach (var value in (object[])[c.Id, c.OrganizationId, c.Name, c.Issuer, c.ClientId, c.SealedSecret, c.Scopes, c.DefaultRole,
                     c.AuthorizationEndpoint, c.TokenEndpoint, c.JwksUri, c.CreatedAt, c.Protocol, c.GroupsClaim, (object?)c.UserinfoEndpoint ?? DBNull.Value, createdBy])
        {
            command.Parameters.AddWithValue(value);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<SsoConnection>> ConnectionsAsync(string orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {ConnectionColumns} FROM sso_connections WHERE org_id = $1 ORDER BY created_at, id");
        command.Parameters.AddWithValue(orgId);
        return await ReadConnectionsAsync(command, cancellationToken);
    }

    /// <summary>A connection by id within one organization: another organization's id is simply not found.</summary>
    public async Task<SsoConnection?> ConnectionAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {ConnectionColumns} FROM sso_connections WHERE org_id = $1 AND id = $2");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(id);
        return (await ReadConnectionsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public async Task<SsoConnection?> ConnectionByIdAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {ConnectionColumns} FROM sso_connections WHERE id = $1");
        command.Parameters.AddWithValue(id);
        return (await ReadConnectionsAsync(command, cancellationToken)).SingleOrDefault();
    }

    public static async Task<bool> DeleteConnectionAsync(string orgId, string id, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("DELETE FROM sso_connections WHERE org_id = $1 AND id = $2", transaction.Connection, transaction);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(id);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<SsoDomain>> DomainsAsync(string orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {DomainColumns} FROM sso_domains WHERE org_id = $1 ORDER BY domain");
        command.Parameters.AddWithValue(orgId);
        return await ReadDomainsAsync(command, cancellationToken);
    }

    public async Task<SsoDomain?> DomainAsync(string orgId, string domain, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {DomainColumns} FROM sso_domains WHERE org_id = $1 AND domain = $2");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(domain);
        return (await ReadDomainsAsync(command, cancellationToken)).SingleOrDefault();
    }

    /// <summary>The verified claim on a domain (at most one organization has one).</summary>
    public async Task<SsoDomain?> VerifiedDomainAsync(string domain, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(VerifiedDomain(domain));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return (await ReadDomainsAsync(reader, cancellationToken)).SingleOrDefault();
    }

    /// <summary>The statement behind <see cref="VerifiedDomainAsync"/>, for a caller that batches it; read with <see cref="ReadDomainsAsync(NpgsqlDataReader, CancellationToken)"/>.</summary>
    public static NpgsqlBatchCommand VerifiedDomain(string domain)
    {
        var command = new NpgsqlBatchCommand($"SELECT {DomainColumns} FROM sso_domains WHERE domain = $1 AND verified_at IS NOT NULL");
        command.Parameters.AddWithValue(domain);
        return command;
    }

    public async Task<string?> LinkedUserAsync(string connectionId, string subject, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT user_id FROM sso_identities WHERE connection_id = $1 AND subject = $2");
        command.Parameters.AddWithValue(connectionId);
        command.Parameters.AddWithValue(subject);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task SaveLoginAsync(byte[] stateHash, string connectionId, string nonce, byte[] sealedVerifier, string? returnUrl, DateTimeOffset now, DateTimeOffset expires,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO sso_logins (state_hash, connection_id, nonce, code_verifier, return_url, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        command.Parameters.AddWithValue(stateHash);
        command.Parameters.AddWithValue(connectionId);
        command.Parameters.AddWithValue(nonce);
        command.Parameters.AddWithValue(sealedVerifier);
        command.Parameters.AddWithValue((object?)returnUrl ?? DBNull.Value);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(expires);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Spends an outstanding sign-in once: a replayed, expired or unknown state gets nothing.</summary>
    public async Task<(string ConnectionId, string Nonce, byte[] SealedVerifier, string? ReturnUrl)?> SpendLoginAsync(byte[] stateHash, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE sso_logins SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING connection_id, nonce, code_verifier, return_url");
        command.Parameters.AddWithValue(stateHash);
        command.Parameters.AddWithValue(now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    public static byte[] Hash(string state) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(state));

    /// <summary>A connection's IdP group → role mappings (group names compared exactly, as the IdP sends them).</summary>
    public async Task<IReadOnlyDictionary<string, string>> RoleMappingsAsync(string connectionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT idp_group, role FROM sso_role_mappings WHERE connection_id = $1 ORDER BY idp_group");
        command.Parameters.AddWithValue(connectionId);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) map[reader.GetString(0)] = reader.GetString(1);
        return map;
    }

    /// <summary>Replaces a connection's mappings and its groups claim, in the caller's transaction.</summary>
    public static async Task ReplaceRoleMappingsAsync(string connectionId, string groupsClaim, IReadOnlyList<(string Group, string Role)> mappings, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        await using (var claim = new NpgsqlCommand("UPDATE sso_connections SET groups_claim = $2 WHERE id = $1", transaction.Connection, transaction))
        {
            claim.Parameters.AddWithValue(connectionId);
            claim.Parameters.AddWithValue(groupsClaim);
            await claim.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM sso_role_mappings WHERE connection_id = $1", transaction.Connection, transaction))
        {
            delete.Parameters.AddWithValue(connectionId);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        foreach (var (group, role) in mappings)
        {
            await using var insert = new NpgsqlCommand("INSERT INTO sso_role_mappings (connection_id, idp_group, role) VALUES ($1, $2, $3)", transaction.Connection, transaction);
            insert.Parameters.AddWithValue(connectionId);
            insert.Parameters.AddWithValue(group);
            insert.Parameters.AddWithValue(role);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task<IReadOnlyList<SsoConnection>> ReadConnectionsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var list = new List<SsoConnection>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new SsoConnection(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<byte[]>(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetString(9), reader.GetString(10),
                reader.GetFieldValue<DateTimeOffset>(11), reader.GetString(12), reader.GetString(13), reader.IsDBNull(14) ? null : reader.GetString(14)));
        }

        return list;
    }

    private static async Task<IReadOnlyList<SsoDomain>> ReadDomainsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadDomainsAsync(reader, cancellationToken);
    }

    /// <summary>The domains of the reader's current result (<c>DomainColumns</c>).</summary>
    public static async Task<IReadOnlyList<SsoDomain>> ReadDomainsAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        var list = new List<SsoDomain>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new SsoDomain(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetBoolean(5)));
        }

        return list;
    }
}
