using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Identity.Accounts;

/// <summary>
/// Per-IP throttling of sign-in, sign-up and reset attempts: a fixed one-minute window counted atomically in
/// PostgreSQL, so every replica shares it.
/// </summary>
internal sealed class Throttle(NpgsqlDataSource dataSource, TimeProvider clock, IOptions<IdentityOptions> options)
{
    /// <returns>Null when allowed, else how long until the window ends.</returns>
    public async Task<TimeSpan?> TryAcquireAsync(string ip, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var window = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero);
        await using var command = dataSource.CreateCommand(
            """
            INSERT INTO ip_throttle (ip, window_start, attempts) VALUES ($1, $2, 1)
            ON CONFLICT (ip, window_start) DO UPDATE SET attempts = ip_throttle.attempts + 1
            RETURNING attempts
            """);
        command.Parameters.AddWithValue(ip);
        command.Parameters.AddWithValue(window);
        var attempts = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (attempts == 1 && Random.Shared.Next(50) == 0)
        {
            await using var purge = dataSource.CreateCommand("DELETE FROM ip_throttle WHERE window_start < $1");
            purge.Parameters.AddWithValue(window.AddHours(-1));
            await purge.ExecuteNonQueryAsync(cancellationToken);
        }

        return attempts > options.Value.Lockout.AttemptsPerIpPerMinute ? window.AddMinutes(1) - now : null;
    }
}
