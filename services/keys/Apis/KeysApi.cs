using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Keys.Data;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

using Platform.Keys.Security;
using Platform.Security.Authentication;

namespace Platform.Keys.Apis;

/// <summary>
/// Key management for administrators (SPEC KEY-STORE, KEY-SCOPE, KEY-ROTATE, KEY-REVOKE). Every handler checks the
/// credential first, then the organization, then the body; a refused request changes nothing.
/// </summary>
public static class KeysApi
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/organizations/{organizationId}/keys").RequireAuthorization(KeysPolicies.ManageKeys);
        api.MapPost("/", CreateKey).WithName("CreateKey");
        api.MapGet("/", ListKeys).WithName("ListKeys");
        api.MapGet("/{keyId}", GetKey).WithName("GetKey");
        api.MapPatch("/{keyId}", UpdateKey).WithName("UpdateKey");
        api.MapPost("/{keyId}/rotate", RotateKey).WithName("RotateKey");
        api.MapPost("/{keyId}/revoke", RevokeKey).WithName("RevokeKey");
        return app;
    }

    internal static async Task<Results<Created<IssuedKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateKey(
        string organizationId, HttpContext http, KeyManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;

        var (request, present, problem) = await JsonBody.ReadAsync<CreateKeyRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return Problems.Invalid("A JSON body is required: name, environment, scopes.");

        var now = time.GetUtcNow();
        var errors = new ValidationErrors();
        var name = KeyRules.Name(request!.Name, errors);
        if (!KeyEnvironments.TryParse(request.Environment, out var environment)) errors.Add("environment", "Must be live or test.");
        var scopes = KeyRules.Scopes(request.Scopes, errors);
        var cidrs = KeyRules.Cidrs(request.AllowedCidrs, errors);
        var rateLimit = KeyRules.RateLimit(request.RateLimit, request.RateLimitPerMinute, errors);
        var expiresAt = KeyRules.Expiry(request.ExpiresAt, now, errors);
        if (errors.Any) return Problems.Invalid(errors);

        var issued = await manager.CreateAsync(organizationId, new KeyDraft(name!, environment, scopes!, cidrs!, rateLimit, expiresAt),
            ChangeContext.From(http, actor), cancellationToken);
        return Issued(http, issued, now);
    }

    internal static async Task<Results<Ok<KeyPage>, ValidationProblem, ProblemHttpResult>> ListKeys(
        string organizationId, HttpContext http, KeyStore store, TimeProvider time, CancellationToken cancellationToken)
    {

        var query = http.Request.Query;
        var errors = new ValidationErrors();
        if (query.Keys.Any(k => k is not ("limit" or "cursor"))) errors.Add("query", "Known parameters: limit, cursor.");
        var limit = DefaultPageSize;
        if (query.TryGetValue("limit", out var limitText)
            && (limitText.Count != 1 || !int.TryParse(limitText[0], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxPageSize))
        {
            errors.Add("limit", $"Must be a whole number from 1 to {MaxPageSize}.");
        }

        string? after = null;
        if (query.TryGetValue("cursor", out var cursor) && (cursor.Count != 1 || !KeyCursor.TryDecode(cursor[0], out after)))
        {
            errors.Add("cursor", "Not a cursor this API returned.");
        }

        if (errors.Any) return Problems.Invalid(errors);

        var (keys, more) = await store.ListAsync(organizationId, limit, after, cancellationToken);
        var now = time.GetUtcNow();
        return TypedResults.Ok(new KeyPage(keys.Select(k => KeyResponse.From(k, now)).ToList(), more ? KeyCursor.Encode(keys[^1].Id) : null));
    }

    internal static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> GetKey(
        string organizationId, string keyId, HttpContext http, KeyStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!KeyIds.IsWellFormed(keyId)) return Problems.KeyNotFound();

        return await store.GetAsync(organizationId, keyId, cancellationToken) is { } key
            ? TypedResults.Ok(KeyResponse.From(key, time.GetUtcNow()))
            : Problems.KeyNotFound();
    }

    internal static async Task<Results<Ok<KeyResponse>, ValidationProblem, ProblemHttpResult>> UpdateKey(
        string organizationId, string keyId, HttpContext http, KeyManager manager, TimeProvider time,
        IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;
        if (!KeyIds.IsWellFormed(keyId)) return Problems.KeyNotFound();

        var (body, present, problem) = await JsonBody.ReadAsync<JsonElement>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return Problems.Invalid("A JSON body is required: the fields to change.");

        var now = time.GetUtcNow();
        var errors = new ValidationErrors();
        var changes = KeyPatch.Parse(body, now, json.Value.SerializerOptions, errors);
        if (changes is null) return Problems.Invalid(errors);

        var outcome = await manager.UpdateAsync(organizationId, keyId, changes, ChangeContext.From(http, actor), cancellationToken);
        return outcome.Value is { } key ? TypedResults.Ok(KeyResponse.From(key, now)) : Refused(outcome.Refusal);
    }

    internal static async Task<Results<Created<IssuedKeyResponse>, ValidationProblem, ProblemHttpResult>> RotateKey(
        string organizationId, string keyId, HttpContext http, KeyManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;
        if (!KeyIds.IsWellFormed(keyId)) return Problems.KeyNotFound();

        var (request, _, problem) = await JsonBody.ReadAsync<RotateKeyRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;

        var errors = new ValidationErrors();
        var overlap = KeyRules.Overlap(request?.OverlapSeconds, errors);
        if (overlap is null) return Problems.Invalid(errors);

        var now = time.GetUtcNow();
        var outcome = await manager.RotateAsync(organizationId, keyId, overlap.Value, ChangeContext.From(http, actor), cancellationToken);
        return outcome.Value is { } issued ? Issued(http, issued, now) : Refused(outcome.Refusal);
    }

    internal static async Task<Results<Ok<KeyResponse>, ProblemHttpResult>> RevokeKey(
        string organizationId, string keyId, HttpContext http, KeyManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;
        if (!KeyIds.IsWellFormed(keyId)) return Problems.KeyNotFound();

        var outcome = await manager.RevokeAsync(organizationId, keyId, ChangeContext.From(http, actor), cancellationToken);
        return outcome.Value is { } key ? TypedResults.Ok(KeyResponse.From(key, time.GetUtcNow())) : Refused(outcome.Refusal);
    }

    private static Created<IssuedKeyResponse> Issued(HttpContext http, IssuedKey issued, DateTimeOffset now)
    {
        // The secret is in this response only: no cache along the way may keep a copy (RFC 9111 section 5.2.2.5).
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Created($"/v1/organizations/{issued.Key.OrganizationId}/keys/{issued.Key.Id}", new IssuedKeyResponse(issued, now));
    }

    private static ProblemHttpResult Refused(Refusal refusal) => refusal switch
    {
        Refusal.Revoked => Conflict("The key is revoked; issue a new one."),
        Refusal.Expired => Conflict("The key has expired; issue a new one."),
        Refusal.AlreadyRotated => Conflict("The key was already rotated; rotate or change its successor (rotatedTo)."),
        _ => Problems.KeyNotFound(),
    };

    private static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(statusCode: 409, type: Problems.KeyStateConflict, title: "The key cannot be changed in its current state", detail: detail);
}
