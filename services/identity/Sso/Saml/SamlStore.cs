using Npgsql;

namespace Platform.Identity.Sso.Saml;

/// <summary>SQL for SAML connections, outstanding AuthnRequests and accepted assertion ids.</summary>
internal sealed class SamlStore(NpgsqlDataSource dataSource)
{
    public static async Task InsertAsync(SamlSettings s, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO saml_connections (connection_id, idp_entity_id, sso_url, certificates, allow_idp_initiated, want_authn_requests_signed, want_assertions_signed)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(s.ConnectionId);
        command.Parameters.AddWithValue(s.IdpEntityId);
        command.Parameters.AddWithValue(s.SsoUrl);
        command.Parameters.AddWithValue(s.Certificates.ToArray());
        command.Parameters.AddWithValue(s.AllowIdpInitiated);
        command.Parameters.AddWithValue(s.WantAuthnRequestsSigned);
        command.Parameters.AddWithValue(s.WantAssertionsSigned);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<SamlSettings?> SettingsAsync(string connectionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT connection_id, idp_entity_id, sso_url, certificates, allow_idp_initiated, want_authn_requests_signed, want_assertions_signed
            FROM saml_connections WHERE connection_id = $1
            """);
        command.Parameters.AddWithValue(connectionId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new SamlSettings(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[][]>(3), reader.GetBoolean(4), reader.GetBoolean(5),
            reader.GetBoolean(6));
    }

    public async Task SaveRequestAsync(string id, string connectionId, byte[] browserHash, string? returnUrl, DateTimeOffset now, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO saml_requests (id, connection_id, browser_hash, return_url, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(connectionId);
        command.Parameters.AddWithValue(browserHash);
        command.Parameters.AddWithValue((object?)returnUrl ?? DBNull.Value);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(expires);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Spends the outstanding request an answer names, once, and only for the browser that started it at this
    /// connection. Returns whether it was found spent, and the return URL.
    /// </summary>
    public async Task<(bool Spent, bool OtherBrowser, string? ReturnUrl)> SpendRequestAsync(string id, string connectionId, byte[]? browserHash, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE saml_requests SET used_at = $4
            WHERE id = $1 AND connection_id = $2 AND browser_hash = $3 AND used_at IS NULL AND expires_at > $4
            RETURNING return_url
            """);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(connectionId);
        command.Parameters.AddWithValue(browserHash ?? []);
        command.Parameters.AddWithValue(now);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken)) return (true, false, reader.IsDBNull(0) ? null : reader.GetString(0));
        }

        await using var other = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM saml_requests WHERE id = $1 AND connection_id = $2 AND used_at IS NULL AND expires_at > $3)");
        other.Parameters.AddWithValue(id);
        other.Parameters.AddWithValue(connectionId);
        other.Parameters.AddWithValue(now);
        return (false, (bool)(await other.ExecuteScalarAsync(cancellationToken))!, null);
    }

    /// <summary>Records an assertion id as accepted (kept until it expires); false when it was accepted before (a replay).</summary>
    public async Task<bool> AcceptAssertionAsync(string connectionId, string assertionId, DateTimeOffset now, DateTimeOffset keepUntil, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM saml_assertions WHERE expires_at < $1") { Parameters = { new() { Value = now } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand("DELETE FROM saml_requests WHERE expires_at < $1") { Parameters = { new() { Value = now - TimeSpan.FromDays(1) } } });
        batch.BatchCommands.Add(new NpgsqlBatchCommand(
            "INSERT INTO saml_assertions (connection_id, assertion_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        {
            Parameters = { new() { Value = connectionId }, new() { Value = assertionId }, new() { Value = keepUntil } },
        });
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return batch.BatchCommands[2].RecordsAffected == 1;
    }
}
