using Microsoft.Extensions.Time.Testing;
using Platform.Messaging.Outbox;

namespace Platform.Messaging.Tests.Unit;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Cap = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(6, 32)]
    [InlineData(7, 60)]
    [InlineData(1000, 60)]
    [InlineData(int.MaxValue, 60)]
    public void Delay_doubles_per_attempt_and_never_exceeds_the_cap(int attempt, int expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.Delay(attempt, Initial, Cap));

    [Fact]
    public void Attempts_below_one_wait_the_initial_delay_and_a_zero_initial_delay_never_waits()
    {
        Assert.Equal(Initial, Backoff.Delay(0, Initial, Cap));
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(5, TimeSpan.Zero, Cap));
    }

    [Fact]
    public void Next_attempt_of_a_failed_outbox_row_is_scheduled_from_the_injected_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero));

        var afterThirdFailure = Backoff.NextAttemptAt(clock, 3, Initial, Cap);
        clock.Advance(TimeSpan.FromHours(1));
        var afterTenthFailure = Backoff.NextAttemptAt(clock, 10, Initial, Cap);

        Assert.Equal(new DateTimeOffset(2025, 3, 1, 12, 0, 4, TimeSpan.Zero), afterThirdFailure);
        Assert.Equal(new DateTimeOffset(2025, 3, 1, 13, 1, 0, TimeSpan.Zero), afterTenthFailure);
    }

    [Fact]
    public async Task Relay_sleep_ends_when_the_fake_clock_passes_its_timeout_or_at_once_when_signalled()
    {
        var clock = new FakeTimeProvider();
        var signal = new OutboxSignal();

        var sleeping = signal.WaitAsync(TimeSpan.FromSeconds(30), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        Assert.False(sleeping.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await sleeping.WaitAsync(TimeSpan.FromSeconds(5));

        var woken = signal.WaitAsync(TimeSpan.FromHours(1), clock, CancellationToken.None);
        signal.Set();
        await woken.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
