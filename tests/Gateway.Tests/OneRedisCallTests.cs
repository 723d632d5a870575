using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.RateLimiting;
using Platform.Gateway.Tests.Infrastructure;
using StackExchange.Redis;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.Tests;

/// <summary>
/// A request whose only credential is a key the gateway already knows costs one Redis call (SPEC GW-RATE): the
/// failed-credential check rides with the key's limits. The throttle's promise still holds: a throttled address is
/// answered 429 whether its key is good or not, and nothing is charged then.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OneRedisCallTests(Servers servers) : IAsyncLifetime
{
    private const string Key = "sk_live_0123456789abcdefghijABCDEFGHIJ01234567";
    private static int addresses;
    private readonly string prefix = $"one-call-tests:{Guid.NewGuid():n}:";
    private readonly string keyId = $"key_{Guid.NewGuid():n}";
    private ServiceProvider services = null!;
    private RateLimiter limiter = null!;
    private ApiKeyVerifier verifier = null!;
    private RateLimitOptions settings = null!;
    private ConnectionMultiplexer redis = null!;
    private int verifications;

    public async Task InitializeAsync()
    {
        settings = new RateLimitOptions { KeyPrefix = prefix };
        settings.AuthenticationFailures.Requests = 3;
        settings.AuthenticationFailures.WindowSeconds = 60;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:redis"] = servers.Redis }).Build();
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var edge = new EdgeRedis(configuration, Options.Create(settings), NullLogger<EdgeRedis>.Instance);
        Assert.NotNull(await edge.StartConnecting());
        limiter = new RateLimiter(edge, Options.Create(settings), TimeProvider.System, services.GetRequiredService<IMeterFactory>(), NullLogger<RateLimiter>.Instance);
        verifier = new ApiKeyVerifier(new HttpClient(new ValidKeys(keyId, () => Interlocked.Increment(ref verifications))),
            Options.Create(new ApiKeyOptions { Url = new Uri("http://keys.invalid"), ServiceToken = new string('t', 40) }), TimeProvider.System, NullLogger<ApiKeyVerifier>.Instance);
        redis = await ConnectionMultiplexer.ConnectAsync(servers.Redis);
    }

    public async Task DisposeAsync()
    {
        await redis.DisposeAsync();
        await services.DisposeAsync();
    }

    [Fact]
    public async Task A_known_key_is_limited_in_the_same_call_as_the_failure_check_and_charged_once()
    {
        await verifier.VerifyAsync(Key, CancellationToken.None);
        var context = Request(NewClient());
        var reached = false;

        await Pipeline(_ => { reached = true; return Task.CompletedTask; })(context);

        Assert.True(reached);
        var decided = context.Features.Get<LimitsDecided>();
        Assert.NotNull(decided);
        Assert.Equal(["key", "organization"], decided.Buckets.Select(b => b.Name));
        // Charged once: the rate-limit middleware used the throttle's decision instead of deciding again.
        var plan = settings.Plans[settings.DefaultPlan];
        Assert.Equal(plan.Key.Requests - 1, decided.Decision.States[0].Remaining);
        var now = await limiter.DecideAsync(decided.Buckets.Select(b => b with { CheckOnly = true }).ToArray());
        // Redis has what is left but the tokens this replica leased with the decision (TokenLeases), not yet spent.
        var leased = decided.Decision.Granted is { } granted ? granted[0] : 0;
        Assert.Equal(plan.Key.Requests - 1, now.States[0].Remaining + leased);
        // The organization's bucket refills one request every 20 ms: on a busy machine it may have already (the key's,
        // one every 100 ms, is what shows a second charge).
        var leasedByOrganization = decided.Decision.Granted is { } all ? all[1] : 0;
        // With the tokens leased to this replica counted, refills can take it past the cap: the key's bucket is the proof.
        Assert.InRange(now.States[1].Remaining + leasedByOrganization, plan.Organization.Requests - 1, plan.Organization.Requests + 50);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(prefix + "auth-failures:" + context.Connection.RemoteIpAddress));
    }

    [Fact]
    public async Task A_throttled_address_gets_429_with_a_good_known_key_and_its_limits_are_not_charged()
    {
        await verifier.VerifyAsync(Key, CancellationToken.None);
        var client = NewClient();
        var failures = new Bucket("authentication-failures", "auth-failures:" + client, 3, 60);
        for (var n = 0; n < 3; n++) Assert.True((await limiter.DecideAsync([failures])).Allowed);
        var context = Request(client);
        var reached = false;

        await Pipeline(_ => { reached = true; return Task.CompletedTask; })(context);

        Assert.False(reached);
        Assert.Equal(StatusCodes.Status429TooManyRequests, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        Assert.Contains("too-many-failed-attempts", await new StreamReader(context.Response.Body).ReadToEndAsync(), StringComparison.Ordinal);
        Assert.False(await redis.GetDatabase().KeyExistsAsync(prefix + "key:" + keyId));
    }

    [Fact]
    public async Task An_unknown_key_is_checked_alone_before_anyone_verifies_it()
    {
        var context = Request(NewClient());
        var verified = verifications;

        await Pipeline(_ => Task.CompletedTask)(context);

        Assert.Null(context.Features.Get<LimitsDecided>());
        Assert.Equal(verified, verifications);
    }

    /// <summary>The throttle, then the rate limits, with <paramref name="upstream"/> standing for the rest of the gateway.</summary>
    private RequestDelegate Pipeline(RequestDelegate upstream)
    {
        var limits = new RateLimitMiddleware(upstream, limiter, Options.Create(settings), Options.Create(new GatewayOptions { InternalPort = 9 }));
        var throttle = new AuthenticationFailureThrottle(limits.InvokeAsync, limiter, verifier, Options.Create(settings), Options.Create(new UserTokens.UserTokenOptions()));
        return throttle.InvokeAsync;
    }

    private static DefaultHttpContext Request(IPAddress client)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = client;
        context.Request.Headers["X-Api-Key"] = Key;
        context.Response.Body = new MemoryStream();
        context.RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var route = new RouteModel(new RouteConfig { RouteId = "datasets", ClusterId = "product" }, null, HttpTransformer.Default);
        context.SetEndpoint(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(route), "datasets"));
        return context;
    }

    private static IPAddress NewClient() => new([203, 0, 113, (byte)Interlocked.Increment(ref addresses)]);

    private sealed class ValidKeys(string keyId, Action counted) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counted();
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""{"valid":true,"keyId":"{{keyId}}","organizationId":"org_one","environment":"live","scopes":[]}""", Encoding.UTF8, "application/json"),
            });
        }
    }
}
