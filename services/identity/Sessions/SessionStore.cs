using System.Buffers.Text;
using System.Security.Cryptography;
using Npgsql;

namespace Platform.Identity.Sessions;

/// <summary>
/// The server side of sessions (table <c>sessions</c>): every session and MFA-pending cookie names its row, and a
/// cookie whose row is gone (signed out, replaced by a later sign-in, expired, or the user deleted) is refused
/// whatever its own expiry says. The row is authoritative, the cookie only points at it.
/// </summary>
internal sealed class SessionStore(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <returns>The new session's id (256 random bits, base64url).</returns>
    public async Task<string> CreateAsync(string userId, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var id = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await using var command = dataSource.CreateCommand("INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(now + lifetime);
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
        await using var command = dataSource.CreateCommand(
            "SELECT u.session_generation FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2 AND s.expires_at > $3");
        command.Parameters.AddWithValue(sessionId);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        return await command.ExecuteScalarAsync(cancellationToken) is int generation ? generation : null;
    }

    /// <returns>Whether a live session was ended.</returns>
    public async Task<bool> EndAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM sessions WHERE id = $1");
        command.Parameters.AddWithValue(sessionId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
