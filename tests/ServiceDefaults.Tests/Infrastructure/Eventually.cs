using System.Diagnostics;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s waiting for: {what}");
            }

            await Task.Delay(200);
        }
    }
}
