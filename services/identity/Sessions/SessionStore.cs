using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using Platform.Identity.Accounts;

namespace Platform.Identity.Sessions;

/// <summary>
/// The server side of sessions (table <c>sessions</c>): every session and MFA-pending cookie names its row, and a
/// cookie whose row is gone (signed out, replaced by a later sign-in, expired, or the user deleted) is refused
/// whatever its own expiry says. The row is authoritative, the cookie only points at it. A session is shown and
/// named to its person by a handle (a hash of its id), never by the id itself.
/// </summary>
internal sealed class SessionStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>How often a session's "last seen" is written: at most once a minute, not on every request.</summary>
    private static readonly TimeSpan LastSeenResolution = TimeSpan.FromMinutes(1);

    /// <summary>The public name of a session: the first 128 bits of its id's SHA-256, hex (the same in SQL, <see cref="HandleSql"/>).</summary>
    public static string Handle(string sessionId) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sessionId)))[..32];

    private const string HandleSql = "left(encode(sha256(convert_to(s.id, 'UTF8')), 'hex'), 32)";

    /// <returns>The new session's id (256 random bits, base64url).</returns>
    public async Task<string> CreateAsync(string userId, TimeSpan lifetime, RequestInfo? request, CancellationToken cancellationToken)
    {
        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await using var command = dataSource.CreateCommand(
            "INSERT INTO sessions (id, user_id, created_at, expires_at, user_agent, ip, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $3)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(now + lifetime);
        command.Parameters.AddWithValue((object?)request?.UserAgent?[..Math.Min(request.UserAgent.Length, 256)] ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)request?.Ip ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
        if (Random.Shared.Next(50) == 0)
        {
            await using var purge = dataSource.CreateCommand("DELETE FROM sessions WHERE expires_at < $1");
            purge.Parameters.AddWithValue(now);
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        return id;
    }

    /// <returns>The user's session generation when the session is live and the user's, else null (one primary-key join).</returns>
    public async Task<int?> GenerationAsync(string sessionId, string userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var command = dataSource.CreateCommand(
            "SELECT u.session_generation, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > $3");
        command.Parameters.AddWithValue(sessionId);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(now);
        int generation;
        DateTimeOffset? lastSeen;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken)) return null;
            generation = reader.GetInt32(0);
            lastSeen = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1);
        }

        if (lastSeen is null || now - lastSeen >= LastSeenResolution)
        {
            await using var touch = dataSource.CreateCommand("UPDATE sessions SET last_seen_at = $2 WHERE id = $1");
            touch.Parameters.AddWithValue(sessionId);
            touch.Parameters.AddWithValue(now);
            await touch.ExecuteNonQueryAsync(cancellationToken);
        }

        return generation;
    }

    /// <returns>Whether a live session was ended.</returns>
    public async Task<bool> EndAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM sessions WHERE id = $1");
        command.Parameters.AddWithValue(sessionId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Records that a token family (an OpenIddict authorization) was started from this session.</summary>
    public async Task LinkAsync(string sessionId, string authorizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO session_authorizations (session_id, authorization_id) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM sessions WHERE id = $1) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(sessionId);
        command.Parameters.AddWithValue(authorizationId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A sign-in in the same browser (a step-up, a second factor after the password) replaces the session: the token
    /// families the replaced one started now belong to the new one, so ending it later still reaches them.
    /// </summary>
    public async Task AdoptAsync(IReadOnlyList<string> replaced, string sessionId, CancellationToken cancellationToken)
    {
        if (replaced.Count == 0) return;
        await using var command = dataSource.CreateCommand(
            "INSERT INTO session_authorizations (session_id, authorization_id) SELECT $2, authorization_id FROM session_authorizations WHERE session_id = ANY($1) ON CONFLICT DO NOTHING");
        command.Parameters.AddWithValue(replaced.ToArray());
        command.Parameters.AddWithValue(sessionId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The user's live sessions (not MFA-pending ones: those last minutes and have signed nothing in), newest first.</summary>
    public async Task<IReadOnlyList<SessionInfo>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT {HandleSql}, s.user_agent, s.ip, s.created_at, s.last_seen_at, s.expires_at
              FROM sessions s
             WHERE s.user_id = $1 AND s.expires_at > $2 AND s.expires_at - s.created_at > interval '10 minutes'
             ORDER BY s.created_at DESC
            """);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        var list = new List<SessionInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new SessionInfo(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return list;
    }

    /// <summary>
    /// Ends the user's sessions named by handle (or every one but <paramref name="keepHandle"/>) and revokes the token
    /// families they started and those families' tokens, in one transaction: their cookies are refused at the next
    /// request and their refresh tokens answer invalid_grant (RFC 6749 section 5.2). Another user's session is never matched.
    /// </summary>
    /// <returns>How many sessions, token families and tokens were ended.</returns>
    public async Task<(int Sessions, int Authorizations, int Tokens)> EndForUserAsync(string userId, string? handle, string? keepHandle, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var ids = new List<string>();
        await using (var find = new NpgsqlCommand(
            $"SELECT s.id FROM sessions s WHERE s.user_id = $1 AND ($2::text IS NULL OR {HandleSql} = $2) AND ($3::text IS NULL OR {HandleSql} <> $3) FOR UPDATE",
            connection, transaction))
        {
            find.Parameters.AddWithValue(userId);
            find.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)handle ?? DBNull.Value);
            find.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)keepHandle ?? DBNull.Value);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) ids.Add(reader.GetString(0));
        }

        if (ids.Count == 0) return (0, 0, 0);
        var families = await ExecuteAsync(transaction,
            """
            UPDATE oidc."OpenIddictAuthorizations" SET "Status" = 'revoked', "ConcurrencyToken" = gen_random_uuid()::text
             WHERE "Id" IN (SELECT authorization_id FROM session_authorizations WHERE session_id = ANY($1)) AND "Subject" = $2 AND "Status" = 'valid'
            """, ids, userId, cancellationToken);
        var tokens = await ExecuteAsync(transaction,
            """
            UPDATE oidc."OpenIddictTokens" SET "Status" = 'revoked', "ConcurrencyToken" = gen_random_uuid()::text
             WHERE "AuthorizationId" IN (SELECT authorization_id FROM session_authorizations WHERE session_id = ANY($1)) AND "Subject" = $2 AND "Status" IN ('valid', 'inactive')
            """, ids, userId, cancellationToken);
        var ended = await ExecuteAsync(transaction, "DELETE FROM sessions WHERE id = ANY($1) AND user_id = $2", ids, userId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (ended, families, tokens);
    }

    private static async Task<int> ExecuteAsync(NpgsqlTransaction transaction, string sql, List<string> ids, string userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        command.Parameters.AddWithValue(ids.ToArray());
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>A live session as its person sees it: the handle, never the id.</summary>
internal sealed record SessionInfo(string Handle, string? UserAgent, string? Ip, DateTimeOffset CreatedAt, DateTimeOffset? LastSeenAt, DateTimeOffset ExpiresAt);
