using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Identity.Accounts;

/// <summary>
/// Per-IP throttling: sign-in, sign-up and reset attempts in a fixed one-minute window, and wrong second factors in a
/// window of their own, counted atomically in PostgreSQL so that every replica shares them.
/// </summary>
internal sealed class Throttle(NpgsqlDataSource dataSource, TimeProvider clock, IOptions<IdentityOptions> options)
{
    /// <returns>Null when allowed, else how long until the window ends.</returns>
    public async Task<TimeSpan?> TryAcquireAsync(string ip, CancellationToken cancellationToken)
    {
        var (attempt, window) = Attempt(ip);
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(attempt);
        return await DecideAsync((int)(await batch.ExecuteScalarAsync(cancellationToken))!, window, cancellationToken);
    }

    /// <summary>
    /// The statement that counts an attempt of the address in the current window (one row, one column: the attempts so
    /// far), for a caller that sends it in one round trip with its own reads; then <see cref="DecideAsync"/>.
    /// </summary>
    public (NpgsqlBatchCommand Command, DateTimeOffset Window) Attempt(string ip)
    {
        var now = clock.GetUtcNow();
        var window = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        var command = new NpgsqlBatchCommand(
            """
            INSERT INTO ip_throttle (ip, window_start, attempts) VALUES ($1, $2, 1)
            ON CONFLICT (ip, window_start) DO UPDATE SET attempts = ip_throttle.attempts + 1
            RETURNING attempts
            """);
        command.Parameters.AddWithValue(ip);
        command.Parameters.AddWithValue(window);
        return (command, window);
    }

    /// <returns>Null when the counted attempt is allowed, else how long until the window ends.</returns>
    public async Task<TimeSpan?> DecideAsync(int attempts, DateTimeOffset window, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (attempts == 1 && Random.Shared.Next(50) == 0)
        {
            await using var purge = dataSource.CreateCommand("DELETE FROM ip_throttle WHERE window_start < $1");
            purge.Parameters.AddWithValue(window.AddHours(-1));
            await purge.ExecuteNonQueryAsync(cancellationToken);
            await using var failures = dataSource.CreateCommand("DELETE FROM mfa_address_failures WHERE window_start < $1");
            failures.Parameters.AddWithValue(now - options.Value.Lockout.MfaIpWindow);
            await failures.ExecuteNonQueryAsync(cancellationToken);
        }

        return attempts > options.Value.Lockout.AttemptsPerIpPerMinute ? window.AddMinutes(1) - now : null;
    }

    /// <summary>
    /// Counts a second-factor attempt of the address before it is checked; a correct one is given back
    /// (<see cref="RefundMfaAsync"/>), so what counts is wrong codes. The window opens at the address's first attempt
    /// (not on the clock's boundaries, which would let a burst straddle two windows) and lasts <c>MfaIpWindow</c>.
    /// </summary>
    /// <returns>Null and the window when allowed, else how long until the window ends.</returns>
    public async Task<(TimeSpan? RetryAfter, DateTimeOffset Window)> TryAcquireMfaAsync(string ip, CancellationToken cancellationToken)
    {
        var lockout = options.Value.Lockout;
        var now = clock.GetUtcNow();
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO mfa_address_failures AS f (ip, window_start, attempts) VALUES ($1, $2, 1)
            ON CONFLICT (ip) DO UPDATE SET
                attempts = CASE WHEN f.window_start <= $2 - $3 THEN 1 ELSE f.attempts + 1 END,
                window_start = CASE WHEN f.window_start <= $2 - $3 THEN $2 ELSE f.window_start END
            RETURNING attempts, window_start
            """);
        command.Parameters.AddWithValue(ip);
        command.Parameters.AddWithValue(now);
        command.Parameters.AddWithValue(lockout.MfaIpWindow);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var (attempts, window) = (reader.GetInt32(0), reader.GetFieldValue<DateTimeOffset>(1));
        return (attempts > lockout.MfaFailuresPerIp ? window + lockout.MfaIpWindow - now : null, window);
    }

    /// <summary>A correct second factor is not a failure: its attempt no longer counts against the address.</summary>
    public async Task RefundMfaAsync(string ip, DateTimeOffset window, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE mfa_address_failures SET attempts = attempts - 1 WHERE ip = $1 AND window_start = $2 AND attempts > 0");
        command.Parameters.AddWithValue(ip);
        command.Parameters.AddWithValue(window);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
