using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Gateway.RateLimiting;
using Platform.Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Platform.Gateway.Tests;

public sealed class GcraTests
{
    private readonly Dictionary<string, long> tats = [];

    private Decision Decide(long now, params Bucket[] buckets) =>
        Gcra.Decide(buckets, now, s => tats.TryGetValue(s, out var t) ? t : null, (s, t, _) => tats[s] = t);

    [Fact]
    public void A_full_burst_is_allowed_then_one_request_per_interval()
    {
        var bucket = new Bucket("key", "k", Requests: 10, WindowSeconds: 60);
        for (var n = 0; n < 10; n++)
        {
            var decision = Decide(0, bucket);
            Assert.True(decision.Allowed);
            Assert.Equal(9 - n, decision.States[0].Remaining);
        }

        var refused = Decide(0, bucket);
        Assert.False(refused.Allowed);
        Assert.Equal(6_000_000, refused.RetryAfterMicroseconds);
        Assert.Equal(0, refused.States[0].Remaining);

        Assert.False(Decide(5_999_999, bucket).Allowed);
        Assert.True(Decide(6_000_000, bucket).Allowed);
        Assert.False(Decide(6_000_000, bucket).Allowed);
    }

    [Fact]
    public void A_dry_run_tells_whether_a_request_would_pass_and_charges_nothing()
    {
        var bucket = new Bucket("auth", "a", 2, 60);
        Assert.True(Decide(0, bucket).Allowed);
        for (var n = 0; n < 5; n++)
        {
            Assert.True(Gcra.Decide([bucket], 0, s => tats.TryGetValue(s, out var t) ? t : null, (s, t, _) => tats[s] = t, dryRun: true).Allowed);
        }

        Assert.True(Decide(0, bucket).Allowed);
        Assert.False(Gcra.Decide([bucket], 0, s => tats.TryGetValue(s, out var t) ? t : null, (s, t, _) => tats[s] = t, dryRun: true).Allowed);
    }

    [Fact]
    public void A_check_only_bucket_decides_with_the_others_and_is_never_charged()
    {
        var failures = new Bucket("authentication-failures", "f", 2, 60, CheckOnly: true);
        var key = new Bucket("key", "k", 100, 60);
        for (var n = 0; n < 5; n++) Assert.True(Decide(0, failures, key).Allowed);
        Assert.False(tats.ContainsKey("f"));
        Assert.Equal(94, Decide(0, key).States[0].Remaining);

        Decide(0, failures with { CheckOnly = false });
        Decide(0, failures with { CheckOnly = false });
        var refused = Decide(0, failures, key);
        Assert.False(refused.Allowed);
        Assert.True(Gcra.Refuses(refused.States[0]));
        Assert.Equal(94, refused.States[1].Remaining);
    }

    [Fact]
    public void A_request_refused_by_one_bucket_is_charged_to_none()
    {
        var key = new Bucket("key", "k", 100, 60);
        var organization = new Bucket("organization", "o", 2, 60);
        Assert.True(Decide(0, key, organization).Allowed);
        Assert.True(Decide(0, key, organization).Allowed);
        var refused = Decide(0, key, organization);

        Assert.False(refused.Allowed);
        Assert.Equal(98, refused.States[0].Remaining);
        Assert.Equal(0, refused.States[1].Remaining);
    }

    [Fact]
    public void An_idle_bucket_refills_to_its_full_burst_and_no_further()
    {
        var bucket = new Bucket("ip", "i", 5, 10);
        for (var n = 0; n < 5; n++) Decide(0, bucket);
        var later = Decide(3_600_000_000, bucket);
        Assert.True(later.Allowed);
        Assert.Equal(4, later.States[0].Remaining);
    }

    [Fact]
    public void More_than_a_million_a_second_is_refused_as_a_setting_and_never_divides_by_zero()
    {
        Assert.False(new Limit { Requests = 10_000_000, WindowSeconds = 1 }.IsValid);
        Assert.True(new Limit { Requests = 1_000_000, WindowSeconds = 1 }.IsValid);

        var extreme = new Bucket("key", "k", Requests: 10_000_000, WindowSeconds: 1);
        Assert.Equal(1, extreme.IntervalMicroseconds);
        Assert.True(Decide(0, extreme).Allowed);
    }

    [Fact]
    public void The_local_limiter_gives_each_replica_its_share()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-23T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var local = new LocalRateLimiter(time, replicas: 4);
        var bucket = new Bucket("key", "k", 20, 60);
        var allowed = Enumerable.Range(0, 10).Count(_ => local.Decide([bucket]).Allowed);
        Assert.Equal(5, allowed);
        Assert.True(local.Decide([bucket]) is { Allowed: false, Local: true });

        time.Advance(TimeSpan.FromSeconds(12));
        Assert.True(local.Decide([bucket]).Allowed);
    }

    [Fact]
    public void Header_fields_name_each_policy_with_its_quota_window_remaining_and_reset()
    {
        Bucket[] buckets = [new("key", "k", 10, 60), new("organization", "o", 100, 60)];
        var decision = Decide(0, buckets);
        var (policy, state) = RateLimitMiddleware.Fields(buckets, decision);
        Assert.Equal("\"key\";q=10;w=60, \"organization\";q=100;w=60", policy);
        Assert.Equal("\"key\";r=9;t=6, \"organization\";r=99;t=1", state);
    }

    [Theory]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64")]
    public void Anonymous_clients_are_counted_by_address_and_ipv6_by_its_64_prefix(string address, string subject)
    {
        Assert.Equal(subject, RateLimitMiddleware.AddressSubject(IPAddress.Parse(address)));
    }

    [Fact]
    public void Every_bad_setting_is_reported_at_once()
    {
        var options = new RateLimitOptions
        {
            DefaultPlan = "gold",
            Anonymous = new() { Requests = 0, WindowSeconds = 60 },
            RedisTimeout = TimeSpan.Zero,
            Replicas = 0,
            OrganizationPlans = { ["org_1"] = "platinum" },
        };
        options.Plans["standard"].Key.WindowSeconds = 0;

        var result = new RateLimitOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("DefaultPlan 'gold'", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Plans:standard:Key", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("OrganizationPlans:org_1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Anonymous", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("RedisTimeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Replicas", StringComparison.Ordinal));
        Assert.True(new RateLimitOptionsValidator().Validate(null, new RateLimitOptions()).Succeeded);
    }
}

/// <summary>The Lua script on a real Redis decides exactly as the in-memory algorithm does.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RedisRateLimiterTests(Servers servers)
{
    [Fact]
    public async Task The_script_allows_a_burst_refuses_the_rest_and_charges_nothing_it_refuses()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);
        var limiter = new RedisRateLimiter(redis);
        var prefix = $"tests:{Guid.NewGuid():n}:";
        Bucket[] buckets = [new("key", "k", 5, 60), new("organization", "o", 3, 60)];

        var decisions = new List<Decision>();
        for (var n = 0; n < 5; n++) decisions.Add(await limiter.DecideAsync(buckets, prefix));

        Assert.Equal([true, true, true, false, false], decisions.Select(d => d.Allowed));
        Assert.Equal([4, 3, 2, 2, 2], decisions.Select(d => d.States[0].Remaining));
        Assert.Equal([2, 1, 0, 0, 0], decisions.Select(d => d.States[1].Remaining));
        Assert.InRange(decisions[3].RetryAfterMicroseconds, 19_000_000, 20_000_000);

        // Buckets expire with their TAT: nothing is left behind in Redis forever.
        var ttl = await redis.GetDatabase().KeyTimeToLiveAsync(prefix + "o");
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value.TotalSeconds, 58, 61);
    }

    [Fact]
    public async Task A_dry_run_in_Redis_charges_nothing()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);
        var limiter = new RedisRateLimiter(redis);
        var prefix = $"tests:{Guid.NewGuid():n}:";
        Bucket[] buckets = [new("auth", "a", 2, 60)];

        for (var n = 0; n < 5; n++) Assert.True((await limiter.DecideAsync(buckets, prefix, dryRun: true)).Allowed);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(prefix + "a"));
        Assert.True((await limiter.DecideAsync(buckets, prefix)).Allowed);
        Assert.True((await limiter.DecideAsync(buckets, prefix)).Allowed);
        Assert.False((await limiter.DecideAsync(buckets, prefix, dryRun: true)).Allowed);
    }

    [Fact]
    public async Task In_Redis_a_check_only_bucket_decides_with_the_others_and_is_never_charged()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);
        var limiter = new RedisRateLimiter(redis);
        var prefix = $"tests:{Guid.NewGuid():n}:";
        var failures = new Bucket("authentication-failures", "f", 2, 60, CheckOnly: true);
        var key = new Bucket("key", "k", 100, 60);

        for (var n = 0; n < 5; n++) Assert.True((await limiter.DecideAsync([failures, key], prefix)).Allowed);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(prefix + "f"));
        await limiter.DecideAsync([failures with { CheckOnly = false }], prefix);
        await limiter.DecideAsync([failures with { CheckOnly = false }], prefix);
        var refused = await limiter.DecideAsync([failures, key], prefix);

        Assert.False(refused.Allowed);
        Assert.True(Gcra.Refuses(refused.States[0]));
        Assert.Equal(95, refused.States[1].Remaining);
    }

    [Fact]
    public async Task The_script_is_called_by_the_hash_Redis_knows_it_by_and_reloaded_when_Redis_has_forgotten_it()
    {
        var options = ConfigurationOptions.Parse(servers.Redis);
        options.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        Assert.Equal(Convert.ToHexString(RedisRateLimiter.ScriptHash), Convert.ToHexString(await server.ScriptLoadAsync(RedisRateLimiter.Script)));

        // A restarted Redis knows no scripts: the limiter loads it again rather than failing the decision.
        await server.ScriptFlushAsync();
        var limiter = new RedisRateLimiter(redis);
        Bucket[] buckets = [new("key", "k", 5, 60)];
        Assert.True((await limiter.DecideAsync(buckets, $"tests:{Guid.NewGuid():n}:")).Allowed);
        Assert.True(await server.ScriptExistsAsync(RedisRateLimiter.ScriptHash));
    }

    [Fact]
    public async Task Concurrent_decisions_never_let_more_than_the_burst_through()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);
        var limiter = new RedisRateLimiter(redis);
        var prefix = $"tests:{Guid.NewGuid():n}:";
        Bucket[] buckets = [new("ip", "i", 25, 60)];

        var decisions = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => limiter.DecideAsync(buckets, prefix)));

        Assert.Equal(25, decisions.Count(d => d.Allowed));
    }
}
