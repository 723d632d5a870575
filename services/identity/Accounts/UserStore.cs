using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Identity.Accounts;

/// <summary>SQL for users, their single-use tokens and the lockout counter.</summary>
internal sealed class UserStore(NpgsqlDataSource dataSource, IOptions<IdentityOptions> options)
{
    private const string Columns = "id, email, password_hash, email_verified_at, totp_secret, totp_last_step, session_generation";

    public async Task<User?> FindByEmailAsync(string normalizedEmail, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(FindByEmail(normalizedEmail));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        return await ReadAsync(reader, cancellationToken);
    }

    /// <summary>The statement behind <see cref="FindByEmailAsync"/>, for a caller that batches it; read with <see cref="ReadAsync(NpgsqlDataReader, CancellationToken)"/>.</summary>
    public static NpgsqlBatchCommand FindByEmail(string normalizedEmail)
    {
        var command = new NpgsqlBatchCommand($"SELECT {Columns} FROM users WHERE email_normalized = $1");
        command.Parameters.AddWithValue(normalizedEmail);
        return command;
    }

    public async Task<User?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM users WHERE id = $1");
        command.Parameters.AddWithValue(id);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The generation a session cookie must carry to be accepted (a password reset moves it on).</summary>
    public async Task<int?> SessionGenerationAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT session_generation FROM users WHERE id = $1");
        command.Parameters.AddWithValue(id);
        return await command.ExecuteScalarAsync(cancellationToken) is int generation ? generation : null;
    }

    private static async Task<User?> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await ReadAsync(reader, cancellationToken);
    }

    /// <summary>The user of the reader's current result (<see cref="Columns"/>), or null.</summary>
    public static async Task<User?> ReadAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new User(reader.GetString(0), reader.GetString(1), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<byte[]>(4),
            reader.IsDBNull(5) ? null : reader.GetInt64(5),
            reader.GetInt32(6));
    }

    /// <summary>
    /// Counts an attempt before the password is checked, in one atomic UPDATE: parallel guesses queue on the row lock,
    /// and once the threshold is reached the row is locked with a doubling backoff, so at most <c>Threshold</c>
    /// guesses are ever checked per lock period. A correct password resets the counter (<see cref="ResetFailuresAsync"/>).
    /// </summary>
    /// <returns>The failure count including this attempt, or null when the account is locked.</returns>
    public async Task<int?> ReserveAttemptAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lockout = options.Value.Lockout;
        await using var command = dataSource.CreateCommand(
            """
            UPDATE users SET failed_attempts = failed_attempts + 1,
                locked_until = CASE WHEN failed_attempts + 1 >= $3
                    THEN $2 + make_interval(secs => LEAST($5, $4 * power(2, LEAST(failed_attempts + 1 - $3, 20))))
                    ELSE locked_until END
            WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)
            RETURNING failed_attempts
            """);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(lockout.Threshold);
        command.Parameters.AddWithValue(lockout.BaseLock.TotalSeconds);
        command.Parameters.AddWithValue(lockout.MaxLock.TotalSeconds);
        return await command.ExecuteScalarAsync(cancellationToken) is int failures ? failures : null;
    }

    /// <summary>
    /// Counts a second-factor attempt before the code is checked, like <see cref="ReserveAttemptAsync"/> but on a counter
    /// of its own that only a correct second factor clears: a correct password leaves it alone, so password + wrong
    /// codes, repeated, still locks.
    /// </summary>
    /// <returns>The failure count including this attempt and null; or null and the end of the current lock.</returns>
    public async Task<(int? Failures, DateTimeOffset? LockedUntil)> ReserveMfaAttemptAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lockout = options.Value.Lockout;
        // The outer SELECT sees the row as it was before the UPDATE: when nothing was updated, the lock that refused it.
        await using var command = dataSource.CreateCommand(
            """
            WITH attempt AS (
                UPDATE users SET mfa_failed_attempts = mfa_failed_attempts + 1,
                    mfa_locked_until = CASE WHEN mfa_failed_attempts + 1 >= $3
                        THEN $2 + make_interval(secs => LEAST($5, $4 * power(2, LEAST(mfa_failed_attempts + 1 - $3, 20))))
                        ELSE mfa_locked_until END
                WHERE id = $1 AND (mfa_locked_until IS NULL OR mfa_locked_until <= $2)
                RETURNING mfa_failed_attempts, mfa_locked_until)
            SELECT (SELECT mfa_failed_attempts FROM attempt), COALESCE((SELECT mfa_locked_until FROM attempt), (SELECT mfa_locked_until FROM users WHERE id = $1))
            """);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(lockout.MfaThreshold);
        command.Parameters.AddWithValue(lockout.BaseLock.TotalSeconds);
        command.Parameters.AddWithValue(lockout.MaxLock.TotalSeconds);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var lockedUntil = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
        return reader.IsDBNull(0) ? (null, lockedUntil) : (reader.GetInt32(0), lockedUntil);
    }

    /// <summary>A correct second factor clears its own counter and lock.</summary>
    public async Task ResetMfaFailuresAsync(string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE users SET mfa_failed_attempts = 0, mfa_locked_until = NULL WHERE id = $1");
        command.Parameters.AddWithValue(userId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <returns>Whether an organization of the user requires MFA (read in the same round trip).</returns>
    public async Task<bool> ResetFailuresAsync(string userId, string? newHash, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE users SET failed_attempts = 0, locked_until = NULL, password_hash = COALESCE($2, password_hash) WHERE id = $1
            RETURNING EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 AND o.require_mfa)
            """);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue((object?)newHash ?? DBNull.Value);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    public static async Task InsertTokenAsync(NpgsqlTransaction transaction, string userId, string purpose, string token, DateTimeOffset now, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        // A new token of a purpose replaces the older ones (only the latest mail works).
        await using (var expire = new NpgsqlCommand("UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL", transaction.Connection, transaction))
        {
            expire.Parameters.AddWithValue(userId);
            expire.Parameters.AddWithValue(purpose);
            expire.Parameters.AddWithValue(now);
            await expire.ExecuteNonQueryAsync(cancellationToken);
        }

        // INSERT … SELECT: for an id with no user (a reset asked for an unknown address) the same statement inserts nothing.
        await using var command = new NpgsqlCommand(
            "INSERT INTO user_tokens (hash, user_id, purpose, created_at, expires_at) SELECT $1, id, $3, $4, $5 FROM users WHERE id = $2", transaction.Connection, transaction);
        command.Parameters.AddWithValue(SecretTokens.Hash(token));
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(purpose);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(now + lifetime);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Spends a token once: the UPDATE matches only an unused, unexpired token of that purpose.</summary>
    /// <returns>The user id, or null.</returns>
    public static async Task<string?> ConsumeTokenAsync(NpgsqlTransaction transaction, string purpose, string token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE user_tokens SET used_at = $3 WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id",
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(SecretTokens.Hash(token));
        command.Parameters.AddWithValue(purpose);
        command.Parameters.AddWithValue(now);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
