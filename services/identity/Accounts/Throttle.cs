using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Identity.Accounts;

/// <summary>
/// Per-IP throttling: sign-in, sign-up and reset attempts in a fixed one-minute window, and second-factor attempts
/// (key <c>mfa:</c> + address) in their own window, counted atomically in PostgreSQL so that every replica shares them.
/// </summary>
internal sealed class Throttle(NpgsqlDataSource dataSource, TimeProvider clock, IOptions<IdentityOptions> options)
{
    /// <returns>Null when allowed, else how long until the window ends.</returns>
    public async Task<TimeSpan?> TryAcquireAsync(string ip, CancellationToken cancellationToken) =>
        (await TryAcquireAsync(ip, options.Value.Lockout.AttemptsPerIpPerMinute, TimeSpan.FromMinutes(1), cancellationToken)).RetryAfter;

    /// <summary>Counts a second-factor attempt of the address before it is checked; a correct one is given back (<see cref="RefundMfaAsync"/>).</summary>
    public Task<(TimeSpan? RetryAfter, DateTimeOffset Window)> TryAcquireMfaAsync(string ip, CancellationToken cancellationToken) =>
        TryAcquireAsync(MfaKey(ip), options.Value.Lockout.MfaFailuresPerIp, options.Value.Lockout.MfaIpWindow, cancellationToken);

    /// <summary>A correct second factor is not a failure: its attempt no longer counts against the address.</summary>
    public async Task RefundMfaAsync(string ip, DateTimeOffset window, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("UPDATE ip_throttle SET attempts = attempts - 1 WHERE ip = $1 AND window_start = $2 AND attempts > 0");
        command.Parameters.AddWithValue(MfaKey(ip));
        command.Parameters.AddWithValue(window);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string MfaKey(string ip) => "mfa:" + ip;

    private async Task<(TimeSpan? RetryAfter, DateTimeOffset Window)> TryAcquireAsync(string key, int limit, TimeSpan length, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var window = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % length.Ticks), TimeSpan.Zero);
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO ip_throttle (ip, window_start, attempts) VALUES ($1, $2, 1)
            ON CONFLICT (ip, window_start) DO UPDATE SET attempts = ip_throttle.attempts + 1
            RETURNING attempts
            """);
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(window);
        var attempts = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (attempts == 1 && Random.Shared.Next(50) == 0)
        {
            await using var purge = dataSource.CreateCommand("DELETE FROM ip_throttle WHERE window_start < $1");
            purge.Parameters.AddWithValue(now.AddDays(-1));
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        return (attempts > limit ? window + length - now : null, window);
    }
}
