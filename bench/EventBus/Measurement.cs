namespace Platform.Bench.EventBus;

internal sealed record Measurement(int Count, TimeSpan Elapsed, string Note = "")
{
    public double PerSecond => Count / Elapsed.TotalSeconds;
}
