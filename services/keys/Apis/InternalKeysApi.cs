using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Data;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;

using Platform.Keys.Security;
using Platform.Security.Authentication;

namespace Platform.Keys.Apis;

/// <summary>
/// What the gateway asks and tells (service credential <c>Keys:ServiceTokens</c>): whether a key may be used
/// (SPEC KEY-FMT, KEY-STORE) and how often keys were used (SPEC KEY-USAGE, reported in batches, off the request path).
/// </summary>
public static class InternalKeysApi
{
    public const int MaxUsageEntries = 10_000;
    private const int MaxVerifyBodyBytes = 1024;
    private const int MaxUsageBodyBytes = 2 * 1024 * 1024;
    private const long MaxCountPerEntry = 1_000_000_000;

    public static IEndpointRouteBuilder MapInternalKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/internal/v1/keys").RequireAuthorization(KeysPolicies.Gateway);
        api.MapPost("/verify", Verify).WithName("VerifyKey");
        api.MapPost("/usage", RecordUsage).WithName("RecordKeyUsage");
        return app;
    }

    /// <summary>Always 200 for an authenticated caller with a readable body: <c>valid</c> says the rest.</summary>
    internal static async Task<Results<Ok<VerifiedKey>, Ok<RejectedKey>, ProblemHttpResult>> Verify(
        HttpContext http, KeyVerifier verifier, CancellationToken cancellationToken)
    {

        var (request, present, problem) = await JsonBody.ReadAsync<VerifyKeyRequest>(http.Request, MaxVerifyBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return Problems.Invalid("A JSON body { \"key\": \"sk_…\" } is required.");

        // The answer is about the caller's client, not the caller: nobody may store it along the way.
        http.Response.Headers.CacheControl = "no-store";
        var verification = await verifier.VerifyAsync(request!.Key, cancellationToken);
        if (verification.Key is not { } key) return TypedResults.Ok(new RejectedKey(false, verification.Reason!));

        return TypedResults.Ok(new VerifiedKey(true, key.Id, key.OrganizationId, key.Environment.Name(), key.Scopes, key.AllowedCidrs,
            key.RateLimit, key.RateLimit?.PerMinute, key.ExpiresAt));
    }

    internal static async Task<Results<Ok<UsageRecorded>, ValidationProblem, ProblemHttpResult>> RecordUsage(
        HttpContext http, KeyStore store, TimeProvider time, CancellationToken cancellationToken)
    {

        var (report, present, problem) = await JsonBody.ReadAsync<UsageReport>(http.Request, MaxUsageBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return Problems.Invalid("A JSON body { \"usage\": [{ \"keyId\", \"count\", \"lastUsedAt\" }] } is required.");

        var errors = new ValidationErrors();
        var usage = report!.Usage;
        if (usage.Count is 0 or > MaxUsageEntries) errors.Add("usage", $"Give 1 to {MaxUsageEntries} entries.");
        for (var index = 0; index < usage.Count && index < MaxUsageEntries; index++)
        {
            if (usage[index] is not { } entry)
            {
                errors.Add($"usage[{index}]", "Must be an object.");
                continue;
            }

            if (!KeyIds.IsWellFormed(entry.KeyId)) errors.Add($"usage[{index}].keyId", "Must be a key id (key_ and 32 hex digits).");
            if (entry.Count is < 1 or > MaxCountPerEntry) errors.Add($"usage[{index}].count", $"Must be from 1 to {MaxCountPerEntry}.");
        }

        if (errors.Any) return Problems.Invalid(errors);

        var keys = await store.AddUsageAsync(usage, time.GetUtcNow(), cancellationToken);
        return TypedResults.Ok(new UsageRecorded(keys));
    }
}
