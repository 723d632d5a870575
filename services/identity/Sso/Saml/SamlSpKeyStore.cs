using System.Security.Cryptography;
using Npgsql;
using Platform.Identity.Mfa;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// The service provider's key pairs per connection (schema step 8, <c>saml_sp_keys</c>). A connection gets its current
/// signing and encryption pairs the first time they are needed (its metadata, a sign-in, the API), so connections made
/// before SP keys existed get theirs too. A rollover adds a <c>next</c> pair of each, published beside the current
/// ones, and finishing it drops the current pairs and makes the next ones current.
/// </summary>
internal sealed class SamlSpKeyStore(NpgsqlDataSource dataSource, DataProtector protector, TimeProvider clock)
{
    /// <summary>The connection's keys (current first), generating the current pairs if it has none yet.</summary>
    public async Task<IReadOnlyList<SamlSpKey>> KeysAsync(string connectionId, CancellationToken cancellationToken)
    {
        var keys = await ReadAsync(connectionId, cancellationToken);
        if (keys.Any(k => k.State == SamlSpKey.Current)) return keys;
        await using (var db = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await db.BeginTransactionAsync(cancellationToken))
        {
            // Two first uses at once: ON CONFLICT keeps one pair of each, and both callers read that one back.
            foreach (var use in (string[])[SamlSpKey.Signing, SamlSpKey.Encryption]) await InsertAsync(connectionId, use, SamlSpKey.Current, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return await ReadAsync(connectionId, cancellationToken);
    }

    /// <summary>Starts a rollover: a next signing and encryption pair. False when one is already under way.</summary>
    public async Task<IReadOnlyList<SamlSpKey>?> StartRolloverAsync(string connectionId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var inserted = 0;
        foreach (var use in (string[])[SamlSpKey.Signing, SamlSpKey.Encryption]) inserted += await InsertAsync(connectionId, use, SamlSpKey.Next, transaction, cancellationToken);
        return inserted == 2 ? await ReadAsync(connectionId, cancellationToken, transaction) : null;
    }

    /// <summary>Finishes a rollover: the current pairs are dropped and the next ones become current. False when none is under way.</summary>
    public async Task<IReadOnlyList<SamlSpKey>?> FinishRolloverAsync(string connectionId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var next = new NpgsqlCommand("SELECT count(*) FROM saml_sp_keys WHERE connection_id = $1 AND state = 'next'", transaction.Connection, transaction);
        next.Parameters.AddWithValue(connectionId);
        if ((long)(await next.ExecuteScalarAsync(cancellationToken))! != 2) return null;
        await using var batch = new NpgsqlBatch(transaction.Connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("DELETE FROM saml_sp_keys WHERE connection_id = $1 AND state = 'current'") { Parameters = { new() { Value = connectionId } } },
                new NpgsqlBatchCommand("UPDATE saml_sp_keys SET state = 'current' WHERE connection_id = $1 AND state = 'next'") { Parameters = { new() { Value = connectionId } } },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return await ReadAsync(connectionId, cancellationToken, transaction);
    }

    /// <summary>The private key of one of the connection's pairs, unsealed for one use (the caller disposes it).</summary>
    public RSA PrivateKey(SamlSpKey key)
    {
        var pkcs8 = protector.Unprotect(key.SealedKey, key.SealContext);
        try
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return rsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private async Task<int> InsertAsync(string connectionId, string use, string state, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (certificate, pkcs8) = SamlSpKey.Generate(connectionId, use, now);
        byte[] sealedKey;
        try
        {
            sealedKey = protector.Protect(pkcs8, SamlSpKey.Context(connectionId, use, certificate));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }

        await using var command = new NpgsqlCommand("""
            INSERT INTO saml_sp_keys (connection_id, use, state, certificate, sealed_key, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT DO NOTHING
            """, transaction.Connection, transaction);
        command.Parameters.AddWithValue(connectionId);
        command.Parameters.AddWithValue(use);
        command.Parameters.AddWithValue(state);
        command.Parameters.AddWithValue(certificate);
        command.Parameters.AddWithValue(sealedKey);
        command.Parameters.AddWithValue(now);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<SamlSpKey>> ReadAsync(string connectionId, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        const string sql = """
            SELECT connection_id, use, state, certificate, sealed_key, created_at FROM saml_sp_keys WHERE connection_id = $1
            ORDER BY state = 'next', use DESC
            """;
        await using var command = transaction is null ? dataSource.CreateCommand(sql) : new NpgsqlCommand(sql, transaction.Connection, transaction);
        command.Parameters.AddWithValue(connectionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<SamlSpKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new SamlSpKey(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<byte[]>(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return keys;
    }
}
