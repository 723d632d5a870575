using System.Globalization;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.ClientAddresses;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// Slows down guessing (SPEC GW-RATE): every credential the gateway refuses (a 401 for a key or a token) is charged to
/// the client address; once the address has used up <c>AuthenticationFailures</c>, its requests that carry a
/// credential are answered 429 before anything is verified, whether the credential is good or not, until the bucket
/// refills. Requests without a credential are the anonymous limit's business.
/// </summary>
internal sealed class AuthenticationFailureThrottle(RequestDelegate next, RateLimiter limiter, IOptions<RateLimitOptions> options)
{
    private readonly RateLimitOptions settings = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!settings.Enabled || !CarriesCredential(context.Request))
        {
            await next(context);
            return;
        }

        Bucket[] bucket = [new("authentication-failures", "auth-failures:" + RateLimitMiddleware.AddressSubject(context.ClientAddress()),
            settings.AuthenticationFailures.Requests, settings.AuthenticationFailures.WindowSeconds)];
        var state = await limiter.DecideAsync(bucket, dryRun: true);
        if (!state.Allowed)
        {
            var seconds = Math.Max(1, (state.RetryAfterMicroseconds + 999_999) / 1_000_000);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Results.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                type: ApiKeyMiddleware.ProblemBase + "too-many-failed-attempts",
                title: "Too many refused credentials from this address",
                detail: $"Try again in {seconds} s.").ExecuteAsync(context);
            return;
        }

        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized) await limiter.DecideAsync(bucket);
    }

    private static bool CarriesCredential(HttpRequest request) =>
        request.Headers.ContainsKey("X-Api-Key")
        || request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
}
