using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Gateway.Auditing;
using Platform.Gateway.Events;
using Platform.Messaging;

namespace Platform.Gateway.Tests;

/// <summary>The audit spool against a real spool folder, with a publisher that records what RabbitMQ would get.</summary>
public sealed class AuditSpoolTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("audit-spool-test-").FullName;
    private readonly ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly RecordingPublisher publisher = new();

    [Fact]
    public async Task Events_arriving_one_by_one_are_published_in_a_few_batches_not_one_per_request()
    {
        var spool = Spool();
        await spool.StartAsync(CancellationToken.None);
        var ids = new List<string>();
        var arriving = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            var @event = Event(i);
            ids.Add(@event.Id);
            spool.Enqueue(@event);
            await Task.Delay(1);
        }

        await WaitForAsync(() => publisher.Events.Count >= 200);
        var elapsed = arriving.Elapsed;
        await spool.StopAsync(CancellationToken.None);

        Assert.Equal(ids.Order(), publisher.Events.Select(e => e.Id).Order());
        // At most one batch per publish interval (100 ms), and a few more for the writer's timing; without the
        // interval each event, written on its own, went out in a batch of its own.
        var bound = (int)(elapsed.TotalMilliseconds / 100) + 5;
        Assert.True(publisher.Batches <= bound, $"{publisher.Batches} batches for 200 events over {elapsed.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task What_was_confirmed_before_a_stop_is_not_published_again_by_the_next_start()
    {
        var first = Spool();
        await first.StartAsync(CancellationToken.None);
        for (var i = 0; i < 50; i++) first.Enqueue(Event(i));
        await WaitForAsync(() => publisher.Events.Count >= 50);
        await first.StopAsync(CancellationToken.None);
        first.Dispose();

        var second = Spool();
        await second.StartAsync(CancellationToken.None);
        second.Enqueue(Event(50));
        await WaitForAsync(() => publisher.Events.Count >= 51);
        // Past the publish interval: anything re-read from the first spool would have been sent by now.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        await second.StopAsync(CancellationToken.None);
        second.Dispose();

        Assert.Equal(51, publisher.Events.Count);
        Assert.Equal(51, publisher.Events.Select(e => e.Id).Distinct().Count());
    }

    public void Dispose()
    {
        services.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private AuditSpool Spool() => new(
        Options.Create(new AuditOptions
        {
            SpoolDirectory = directory,
            PublishInterval = TimeSpan.FromMilliseconds(100),
            // Longer than any test: only a stop (or a finished segment) writes the checkpoint here.
            CheckpointInterval = TimeSpan.FromMinutes(1),
        }),
        publisher,
        TimeProvider.System,
        services.GetRequiredService<IMeterFactory>(),
        NullLogger<AuditSpool>.Instance);

    private static AuditRecorded Event(int n) => new()
    {
        Actor = "key_test",
        Action = "http.request",
        Outcome = "success",
        Target = $"/v1/datasets/{n}",
        RequestId = $"req_test_{n}",
    };

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "timed out");
            await Task.Delay(10);
        }
    }

    private sealed class RecordingPublisher : IEventPublisher
    {
        private int batches;

        public ConcurrentQueue<IntegrationEvent> Events { get; } = new();

        public int Batches => Volatile.Read(ref batches);

        public Task PublishAsync(IntegrationEvent @event, CancellationToken cancellationToken) => PublishAsync([@event], cancellationToken);

        public Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref batches);
            foreach (var @event in events) Events.Enqueue(@event);
            return Task.CompletedTask;
        }
    }
}
