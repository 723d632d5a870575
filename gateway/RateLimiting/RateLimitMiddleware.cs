using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Problems;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// Applies the request's limits (SPEC GW-RATE) after authentication and before the route's requirements, so that
/// every public request is counted, refused or not, proxied or not (unknown paths, security.txt): the principal's
/// buckets (a key's own and its organization's, a token's user and organization), or, without a principal, the client
/// address's (an IPv6 client by its /64, which one host can otherwise walk through).
/// Every answer carries <c>RateLimit-Policy</c> and <c>RateLimit</c> (draft-ietf-httpapi-ratelimit-headers); a
/// refusal is a 429 problem with <c>Retry-After</c>.
/// </summary>
internal sealed class RateLimitMiddleware(RequestDelegate next, RateLimiter limiter, IOptions<RateLimitOptions> options, IOptions<GatewayOptions> gateway)
{
    private readonly RateLimitOptions settings = options.Value;
    private readonly int internalPort = gateway.Value.InternalPort;

    public async Task InvokeAsync(HttpContext context)
    {
        // Health probes, on the internal listener, are not limited (nor audited).
        if (!settings.Enabled || context.Connection.LocalPort == internalPort)
        {
            await next(context);
            return;
        }

        // Decided already, in the same Redis call as the failed-credential check, when the key was known valid.
        var (buckets, decision) = context.Features.Get<LimitsDecided>() is { } decided
            ? (decided.Buckets, decided.Decision)
            : await DecideAsync(context);
        var (policy, state) = Fields(buckets, decision);
        context.Response.OnStarting(static value =>
        {
            var (response, policy, state) = ((HttpResponse, string, string))value;
            response.Headers["RateLimit-Policy"] = policy;
            response.Headers["RateLimit"] = state;
            return Task.CompletedTask;
        }, (context.Response, policy, state));

        if (decision.Allowed)
        {
            await next(context);
            return;
        }

        var seconds = Math.Max(1, (decision.RetryAfterMicroseconds + 999_999) / 1_000_000);
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            type: EdgeProblem.Base + "rate-limited",
            title: "Too many requests",
            detail: $"The rate limit was reached. Try again in {seconds} s.").ExecuteAsync(context);
    }

    private async Task<(List<Bucket>, Decision)> DecideAsync(HttpContext context)
    {
        var buckets = Buckets(context);
        return (buckets, await limiter.DecideAsync(buckets));
    }

    /// <summary>A valid key's limits: its own bucket (its own limit, else its plan's) and its organization's.</summary>
    public static List<Bucket> KeyBuckets(RateLimitOptions settings, KeyVerification key)
    {
        var plan = Plan(settings, key.OrganizationId);
        var buckets = new List<Bucket>(3) { KeyBucket(key, plan) };
        if (key.OrganizationId is { } organization)
        {
            buckets.Add(new Bucket("organization", "org:" + organization, plan.Organization.Requests, plan.Organization.WindowSeconds));
        }

        return buckets;
    }

    private static Bucket KeyBucket(KeyVerification key, PlanLimits plan)
    {
        var (requests, window) = key switch
        {
            { RateLimit: { Requests: > 0, WindowSeconds: > 0 } own } => (own.Requests, own.WindowSeconds),
            { RateLimitPerMinute: > 0 and var perMinute } => (perMinute, 60),
            _ => (plan.Key.Requests, plan.Key.WindowSeconds),
        };
        return new Bucket("key", "key:" + key.KeyId, requests, window);
    }

    private List<Bucket> Buckets(HttpContext context)
    {
        var buckets = new List<Bucket>(2);
        var principal = context.Principal();
        var organization = principal?.OrganizationId;
        var plan = Plan(settings, organization);
        if (principal?.Key is { Valid: true, KeyId: not null } key) buckets.Add(KeyBucket(key, plan));

        if (principal?.Token is { } user)
        {
            buckets.Add(new Bucket("user", "user:" + user.Subject, plan.Key.Requests, plan.Key.WindowSeconds));
        }

        if (organization is not null)
        {
            buckets.Add(new Bucket("organization", "org:" + organization, plan.Organization.Requests, plan.Organization.WindowSeconds));
        }

        if (buckets.Count == 0)
        {
            buckets.Add(new Bucket("ip", "ip:" + AddressSubject(context.ClientAddress()), settings.Anonymous.Requests, settings.Anonymous.WindowSeconds));
        }

        return buckets;
    }

    private static PlanLimits Plan(RateLimitOptions settings, string? organization)
    {
        var name = organization is not null && settings.OrganizationPlans.TryGetValue(organization, out var assigned) ? assigned : settings.DefaultPlan;
        return settings.Plans[name];
    }

    /// <summary>IPv4 by address, IPv6 by its /64 prefix.</summary>
    public static string AddressSubject(IPAddress? address)
    {
        if (address is null) return "unknown";
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address.ToString();
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>The two header fields, one item per bucket: <c>"key";q=600;w=60</c> and <c>"key";r=599;t=1</c>.</summary>
    public static (string Policy, string State) Fields(IReadOnlyList<Bucket> buckets, Decision decision)
    {
        // Formatted in place (no LINQ, no string per item): this runs for every proxied request.
        var policy = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture, stackalloc char[256]);
        var state = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture, stackalloc char[256]);
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            var separator = i == 0 ? "\"" : ", \"";
            policy.AppendLiteral(separator);
            policy.AppendLiteral(bucket.Name);
            policy.AppendLiteral("\";q=");
            policy.AppendFormatted(bucket.Requests);
            policy.AppendLiteral(";w=");
            policy.AppendFormatted(bucket.WindowSeconds);

            state.AppendLiteral(separator);
            state.AppendLiteral(bucket.Name);
            state.AppendLiteral("\";r=");
            state.AppendFormatted(decision.States[i].Remaining);
            state.AppendLiteral(";t=");
            state.AppendFormatted((decision.States[i].ResetMicroseconds + 999_999) / 1_000_000);
        }

        return (policy.ToStringAndClear(), state.ToStringAndClear());
    }
}
