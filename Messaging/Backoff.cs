namespace Platform.Messaging;

/// <summary>Exponential backoff: the first retry waits <c>initial</c>, each further one twice as long, never more than <c>max</c>.</summary>
internal static class Backoff
{
    /// <param name="attempt">The failed attempt that is being retried, from 1.</param>
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max)
    {
        if (initial <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        // 2^30 times any sensible initial delay is past every cap; stopping there keeps the maths out of overflow.
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = initial.Ticks * Math.Pow(2, exponent);
        return ticks >= max.Ticks ? max : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>When a row that has now failed <paramref name="failedAttempts"/> times may be tried again.</summary>
    public static DateTimeOffset NextAttemptAt(TimeProvider timeProvider, int failedAttempts, TimeSpan initial, TimeSpan max) =>
        timeProvider.GetUtcNow() + Delay(failedAttempts, initial, max);
}
