using System.Globalization;
using Microsoft.Extensions.Options;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Problems;
using Platform.Gateway.UserTokens;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// Slows down guessing (SPEC GW-RATE): every credential the gateway refuses (a 401 for a key or a token) is charged to
/// the client address; once the address has used up <c>AuthenticationFailures</c>, its requests that carry a
/// credential are answered 429 before anything is verified, whether the credential is good or not, until the bucket
/// refills. A request with several credentials (refused 400 before anything is verified) is charged like a refused
/// one. Requests without a credential the gateway verifies are the anonymous limit's business.
/// </summary>
/// <remarks>
/// One Redis round trip per request (SPEC GW-RATE): when the request's only credential is a key this gateway already
/// knows to be valid (its cached verification; nothing is asked of the keys service), the failure check and the
/// request's own limits are decided in one call, the failure bucket only checked, and
/// <see cref="RateLimitMiddleware"/> uses that decision. Otherwise the check is a call of its own before verification,
/// so that an unknown credential from a throttled address never reaches the keys service.
/// </remarks>
internal sealed class AuthenticationFailureThrottle(
    RequestDelegate next, RateLimiter limiter, ApiKeyVerifier keys, IOptions<RateLimitOptions> options, IOptions<UserTokenOptions> tokens)
{
    private readonly RateLimitOptions settings = options.Value;
    private readonly string sessionCookie = tokens.Value.SessionCookie;

    public async Task InvokeAsync(HttpContext context)
    {
        var credential = Credential.Of(context, sessionCookie);
        if (!settings.Enabled || credential.Kind is CredentialKind.None or CredentialKind.Basic or CredentialKind.SessionCookie)
        {
            await next(context);
            return;
        }

        var failures = new Bucket("authentication-failures", "auth-failures:" + RateLimitMiddleware.AddressSubject(context.ClientAddress()),
            settings.AuthenticationFailures.Requests, settings.AuthenticationFailures.WindowSeconds, CheckOnly: true);
        var known = KnownValidKey(credential);
        var limits = known is null ? null : RateLimitMiddleware.KeyBuckets(settings, known);
        var decision = await limiter.DecideAsync(limits is null ? [failures] : [failures, .. limits]);
        if (!decision.Allowed && Gcra.Refuses(decision.States[0]))
        {
            var seconds = Math.Max(1, (decision.RetryAfterMicroseconds + 999_999) / 1_000_000);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Results.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                type: EdgeProblem.Base + "too-many-failed-attempts",
                title: "Too many refused credentials from this address",
                detail: $"Try again in {seconds} s.").ExecuteAsync(context);
            return;
        }

        if (limits is not null)
        {
            context.Features.Set(new LimitsDecided(limits, decision with { States = decision.States.Skip(1).ToArray(), Granted = decision.Granted?.Skip(1).ToArray() }));
        }

        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status401Unauthorized || credential.Kind == CredentialKind.Multiple)
        {
            await limiter.DecideAsync([failures with { CheckOnly = false }]);
            // Every replica stops trusting what it knew of this address (TokenLeases).
            limiter.Forget(failures.Subject);
        }
    }

    /// <summary>The cached, valid verification of the request's only credential, a key; else null.</summary>
    private KeyVerification? KnownValidKey(Credential credential) =>
        credential is { Kind: CredentialKind.ApiKey, Value: { } key } && keys.TryCached(key) is { Valid: true, KeyId: not null } verification
            ? verification
            : null;
}

/// <summary>A request's limits, decided (and charged) together with the failed-credential check.</summary>
internal sealed record LimitsDecided(List<Bucket> Buckets, Decision Decision);
