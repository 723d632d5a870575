using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Gateway.RateLimiting;
using Platform.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Platform.Gateway.Tests;

/// <summary>
/// Token leases (issue 20): replicas decide most requests of a busy bucket on tokens leased from Redis, and the sum
/// across replicas stays within the stated bound — exactly the limit for a bucket emptied at once, and in any window
/// at most one lease per replica more than one Redis decision per request would allow.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TokenLeaseTests(Servers servers) : IAsyncLifetime
{
    private readonly string prefix = $"lease-tests:{Guid.NewGuid():n}:";
    private readonly List<IAsyncDisposable> disposables = [];
    private ConnectionMultiplexer redis = null!;

    public async Task InitializeAsync() => redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);

    public async Task DisposeAsync()
    {
        foreach (var disposable in disposables) await disposable.DisposeAsync();
        await redis.DisposeAsync();
    }

    [Fact]
    public async Task Two_replicas_on_leases_let_exactly_a_full_bucket_through_and_decide_most_of_it_without_Redis()
    {
        var (first, second) = (await ReplicaAsync(), await ReplicaAsync());
        Bucket[] buckets = [new("key", "key:exact", 1_000, 86_400), new("organization", "org:exact", 5_000, 86_400)];

        var allowed = 0;
        for (var n = 0; n < 1_400; n++)
        {
            if ((await (n % 2 == 0 ? first : second).DecideAsync(buckets)).Allowed) allowed++;
        }

        Assert.Equal(1_000, allowed);
        // Leases are granted while the bucket stays half full: two of 100 per replica, the rest decided one by one in Redis.
        Assert.True(first.LeasedDecisions >= 150 && second.LeasedDecisions >= 150, $"leased decisions: {first.LeasedDecisions}, {second.LeasedDecisions}");
        // The organization was charged exactly what was let through, and what the key still holds on leases.
        var organization = await first.DecideAsync([buckets[1] with { CheckOnly = true }]);
        Assert.InRange(organization.States[0].Remaining, 5_000 - 1_000 - 2 * 100, 5_000 - 1_000);
    }

    [Fact]
    public async Task Hammered_by_two_replicas_a_bucket_never_lets_more_through_in_a_window_than_the_stated_bound()
    {
        var (first, second) = (await ReplicaAsync(), await ReplicaAsync());
        // 200 a second (T = 5 ms, leases of 20); the plain GCRA allows at most 200 + 200 in any second (a full burst,
        // then the refill); the bound adds one lease per replica.
        Bucket[] buckets = [new("key", "key:hammered", 200, 1)];
        var admitted = new List<long>();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(new[] { first, second }.Select(replica => Task.Run(async () =>
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                if ((await replica.DecideAsync(buckets)).Allowed)
                {
                    lock (admitted) admitted.Add(clock.ElapsedTicks);
                }
            }
        })));

        admitted.Sort();
        var window = Stopwatch.Frequency;
        var most = 0;
        for (int start = 0, end = 0; start < admitted.Count; start++)
        {
            while (end < admitted.Count && admitted[end] - admitted[start] < window) end++;
            most = Math.Max(most, end - start);
        }

        Assert.True(most <= 200 + 200 + 2 * 20, $"{most} requests were let through in one second");
        Assert.True(first.LeasedDecisions + second.LeasedDecisions > 0, "no request was decided on a lease");
        // And nothing starved: over 3 s at least the burst and two seconds of refill got through.
        Assert.True(admitted.Count >= 200 + 2 * 200 - 2 * 20, $"only {admitted.Count} requests were let through in 3 s");
    }

    [Fact]
    public async Task No_lease_is_granted_once_the_bucket_would_be_less_than_half_full_and_given_back_tokens_return()
    {
        var limiter = new RedisRateLimiter(redis);
        Bucket[] buckets = [new("key", "key:half", 100, 86_400)];

        var first = await limiter.DecideAsync(buckets, prefix, false, [10], [0]);
        Assert.Equal([10], first.Granted!);
        // The client's remaining counts the leased tokens: 89 in Redis and 10 on this replica.
        Assert.Equal(99, first.States[0].Remaining);

        for (var n = 0; n < 35; n++) Assert.Null((await limiter.DecideAsync(buckets, prefix)).Granted);
        // 54 left: a lease of 10 would leave 43 (under half), so the request is charged and no lease granted.
        var refused = await limiter.DecideAsync(buckets, prefix, false, [10], [0]);
        Assert.True(refused.Allowed);
        Assert.Null(refused.Granted);
        Assert.Equal(53, refused.States[0].Remaining);

        // The first lease's 10 tokens, unspent, come back with the next decision.
        var back = await limiter.DecideAsync(buckets, prefix, false, [0], [10]);
        Assert.Equal(62, back.States[0].Remaining);
    }

    [Fact]
    public async Task Small_limits_are_never_leased_so_they_stay_exact()
    {
        var limiter = await ReplicaAsync();
        // Windows of a day, so that nothing refills while the test runs.
        Bucket[] buckets = [new("key", "key:small", 12, 86_400), new("organization", "org:small", 3_000, 86_400)];
        for (var n = 0; n < 20; n++) await limiter.DecideAsync(buckets);
        Assert.Equal(0, limiter.LeasedDecisions);
        // The organization (large enough to lease) was charged one request at a time: the 12 let through, nothing leased.
        Assert.Equal(3_000 - 12, (await limiter.DecideAsync([buckets[1] with { CheckOnly = true }])).States[0].Remaining);
    }

    [Fact]
    public void A_leases_tokens_are_not_spent_after_its_lifetime()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-05T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var leases = new TokenLeases(time, new LeaseOptions { Size = 5, Lifetime = TimeSpan.FromSeconds(1) });
        Bucket[] buckets = [new("key", "k", 100, 60)];
        int[] wanted = new int[1], returned = new int[1];
        leases.Prepare(buckets, wanted, returned);
        Assert.Equal(5, wanted[0]);
        leases.Complete(buckets, wanted, new Decision(true, 0, [new BucketState(94, 0)], false, [5]), leases.Generation);

        for (var n = 0; n < 3; n++) Assert.NotNull(leases.TryDecide(buckets));
        time.Advance(TimeSpan.FromMilliseconds(1_001));
        Assert.Null(leases.TryDecide(buckets));

        // The next Redis decision gives the two unspent tokens back.
        leases.Prepare(buckets, wanted, returned);
        Assert.Equal(2, returned[0]);
    }

    [Fact]
    public async Task A_failure_charged_on_one_replica_ends_what_another_knew_of_the_address_at_once()
    {
        var (charging, knowing) = (await ReplicaAsync(), await ReplicaAsync());
        var failures = new Bucket("authentication-failures", "auth-failures:203.0.113.77", 3, 60, CheckOnly: true);
        Bucket[] request = [failures, new("key", "key:known", 100_000, 60)];
        Assert.True((await knowing.DecideAsync(request)).Allowed);
        var leased = knowing.LeasedDecisions;
        Assert.True((await knowing.DecideAsync(request)).Allowed);
        Assert.Equal(leased + 1, knowing.LeasedDecisions);

        for (var n = 0; n < 3; n++)
        {
            await charging.DecideAsync([failures with { CheckOnly = false }]);
            charging.Forget(failures.Subject);
        }

        var since = Stopwatch.StartNew();
        Decision decision;
        while ((decision = await knowing.DecideAsync(request)).Allowed)
        {
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(1), "the other replica still let the throttled address through a second later");
        }

        Assert.True(Gcra.Refuses(decision.States[0]));
        Assert.True(since.Elapsed < TimeSpan.FromMilliseconds(250), $"it took {since.ElapsedMilliseconds} ms");
    }

    /// <summary>A replica's limiter: its own Redis connection, leases of up to 100 tokens living 1 s.</summary>
    private async Task<RateLimiter> ReplicaAsync()
    {
        var settings = new RateLimitOptions { KeyPrefix = prefix, Leases = { Size = 100, Lifetime = TimeSpan.FromSeconds(1) } };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = servers.Redis }).Build();
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        disposables.Add(services);
        var edge = new EdgeRedis(configuration, Options.Create(settings), NullLogger<EdgeRedis>.Instance);
        disposables.Add(edge);
        Assert.NotNull(await edge.StartConnecting());
        var limiter = new RateLimiter(edge, Options.Create(settings), TimeProvider.System, services.GetRequiredService<IMeterFactory>(), NullLogger<RateLimiter>.Instance);
        // The announcement channel is subscribed with the first Redis decision; wait for it, as a running gateway has.
        await limiter.DecideAsync([new Bucket("ip", "ip:warm-up:" + Guid.NewGuid().ToString("n"), 10, 60)]);
        await Task.Delay(100);
        return limiter;
    }
}
