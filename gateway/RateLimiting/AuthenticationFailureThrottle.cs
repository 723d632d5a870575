using System.Globalization;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.ClientAddresses;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// Slows down guessing (SPEC GW-RATE): every credential the gateway refuses (a 401 for a key or a token) is charged to
/// the client address; once the address has used up <c>AuthenticationFailures</c>, its requests that carry a
/// credential are answered 429 before anything is verified, whether the credential is good or not, until the bucket
/// refills. Requests without a credential are the anonymous limit's business.
/// </summary>
/// <remarks>
/// One Redis round trip per request (SPEC GW-RATE): when the request's only credential is a key this gateway already
/// knows to be valid (its cached verification; nothing is asked of the keys service), the failure check and the
/// request's own limits are decided in one call, the failure bucket only checked, and
/// <see cref="RateLimitMiddleware"/> uses that decision. Otherwise the check is a call of its own before verification,
/// so that an unknown credential from a throttled address never reaches the keys service.
/// </remarks>
internal sealed class AuthenticationFailureThrottle(RequestDelegate next, RateLimiter limiter, ApiKeyVerifier keys, IOptions<RateLimitOptions> options)
{
    private readonly RateLimitOptions settings = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!settings.Enabled || !CarriesCredential(context.Request))
        {
            await next(context);
            return;
        }

        var failures = new Bucket("authentication-failures", "auth-failures:" + RateLimitMiddleware.AddressSubject(context.ClientAddress()),
            settings.AuthenticationFailures.Requests, settings.AuthenticationFailures.WindowSeconds, CheckOnly: true);
        var known = KnownValidKey(context);
        var limits = known is null ? null : RateLimitMiddleware.KeyBuckets(settings, known);
        var decision = await limiter.DecideAsync(limits is null ? [failures] : [failures, .. limits]);
        if (!decision.Allowed && Gcra.Refuses(decision.States[0]))
        {
            var seconds = Math.Max(1, (decision.RetryAfterMicroseconds + 999_999) / 1_000_000);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Results.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                type: ApiKeyMiddleware.ProblemBase + "too-many-failed-attempts",
                title: "Too many refused credentials from this address",
                detail: $"Try again in {seconds} s.").ExecuteAsync(context);
            return;
        }

        if (limits is not null)
        {
            context.Features.Set(new LimitsDecided(limits, decision with { States = decision.States.Skip(1).ToArray() }));
        }

        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized) await limiter.DecideAsync([failures with { CheckOnly = false }]);
    }

    /// <summary>The cached, valid verification of the request's only credential, a key, on a proxied route; else null.</summary>
    private KeyVerification? KnownValidKey(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>() is not null
        && ApiKeyMiddleware.SoleKey(context.Request) is { } key
        && keys.TryCached(key) is { Valid: true, KeyId: not null } verification
            ? verification
            : null;

    private static bool CarriesCredential(HttpRequest request) =>
        request.Headers.ContainsKey("X-Api-Key")
        || request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A request's limits, decided (and charged) together with the failed-credential check.</summary>
internal sealed record LimitsDecided(List<Bucket> Buckets, Decision Decision);
