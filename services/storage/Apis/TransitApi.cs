using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Security.Authentication;
using Platform.Storage.Keys;
using Platform.Storage.Model;

namespace Platform.Storage.Apis;

/// <summary>
/// Encryption for other services (SPEC ENC-API), with service credentials (<c>Storage:ServiceTokens</c>) that are
/// each limited to their organizations. Never behind the public gateway route.
/// </summary>
public static class TransitApi
{
    public const int MaxPlaintextBytes = 64 * 1024;
    private const int MaxBodyBytes = 128 * 1024;

    public static IEndpointRouteBuilder MapTransitApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/internal/v1/transit/{organizationId}").RequireAuthorization(Security.StoragePolicies.Service);
        api.MapPost("/encrypt", Encrypt).WithName("TransitEncrypt");
        api.MapPost("/decrypt", Decrypt).WithName("TransitDecrypt");
        api.MapPost("/generate-data-key", GenerateDataKey).WithName("TransitGenerateDataKey");
        api.MapPost("/rewrap", Rewrap).WithName("TransitRewrap");
        return app;
    }

    internal static async Task<Results<Ok<EncryptResponse>, ProblemHttpResult>> Encrypt(
        string organizationId, HttpContext http, TransitCipher transit, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync<EncryptRequest>(http, organizationId, cancellationToken);
        if (problem is not null) return problem;
        if (EncryptionContext.Problem(request!.Context) is { } contextProblem) return Problems.Invalid(contextProblem);
        var plaintext = new byte[request.Plaintext.Length];
        if (!Convert.TryFromBase64String(request.Plaintext, plaintext, out var length) || length > MaxPlaintextBytes)
        {
            return Problems.Invalid($"plaintext must be base64 of at most {MaxPlaintextBytes} bytes.");
        }

        try
        {
            var ciphertext = await transit.EncryptAsync(organizationId, plaintext.AsMemory(0, length), Context(request.Context), Caller(http), cancellationToken);
            return TypedResults.Ok(new EncryptResponse(ciphertext, TransitCipher.VersionOf(ciphertext)));
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    internal static async Task<Results<Ok<DecryptResponse>, ProblemHttpResult>> Decrypt(
        string organizationId, HttpContext http, TransitCipher transit, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync<DecryptRequest>(http, organizationId, cancellationToken);
        if (problem is not null) return problem;
        if (EncryptionContext.Problem(request!.Context) is { } contextProblem) return Problems.Invalid(contextProblem);
        try
        {
            var plaintext = await transit.DecryptAsync(organizationId, request.Ciphertext, Context(request.Context), cancellationToken);
            http.Response.Headers.CacheControl = "no-store";
            return TypedResults.Ok(new DecryptResponse(Convert.ToBase64String(plaintext)));
        }
        catch (TransitCiphertextException)
        {
            return Problems.Unavailable(new KeyUnavailableException(KeyUnavailableReason.UnknownVersion));
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
    }

    internal static async Task<Results<Ok<GenerateDataKeyResponse>, ProblemHttpResult>> GenerateDataKey(
        string organizationId, HttpContext http, TransitCipher transit, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync<GenerateDataKeyRequest>(http, organizationId, cancellationToken);
        if (problem is not null) return problem;
        if (EncryptionContext.Problem(request!.Context) is { } contextProblem) return Problems.Invalid(contextProblem);
        try
        {
            var (plaintext, ciphertext) = await transit.GenerateDataKeyAsync(organizationId, Context(request.Context), Caller(http), cancellationToken);
            http.Response.Headers.CacheControl = "no-store";
            var response = new GenerateDataKeyResponse(Convert.ToBase64String(plaintext), ciphertext, TransitCipher.VersionOf(ciphertext));
            CryptographicOperations.ZeroMemory(plaintext);
            return TypedResults.Ok(response);
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
    }

    internal static async Task<Results<Ok<EncryptResponse>, ProblemHttpResult>> Rewrap(
        string organizationId, HttpContext http, TransitCipher transit, CancellationToken cancellationToken)
    {
        var (request, problem) = await ReadAsync<RewrapRequest>(http, organizationId, cancellationToken);
        if (problem is not null) return problem;
        if (EncryptionContext.Problem(request!.Context) is { } contextProblem) return Problems.Invalid(contextProblem);
        try
        {
            var ciphertext = await transit.RewrapAsync(organizationId, request.Ciphertext, Context(request.Context), Caller(http), cancellationToken);
            return TypedResults.Ok(new EncryptResponse(ciphertext, TransitCipher.VersionOf(ciphertext)));
        }
        catch (TransitCiphertextException)
        {
            return Problems.Unavailable(new KeyUnavailableException(KeyUnavailableReason.UnknownVersion));
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
    }

    /// <summary>Authenticates the calling service, checks it may use the organization, then reads the body.</summary>
    internal static async Task<(T? Request, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpContext http, string organizationId, CancellationToken cancellationToken)
    {
        if (Authorize(http, organizationId) is { } denied) return (default, denied);
        var (request, present, problem) = await JsonBody.ReadAsync<T>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return (default, problem);
        return present ? (request, null) : (default, Problems.Invalid("A JSON body is required."));
    }

    /// <summary>The caller was authorized by <see cref="Security.StoragePolicies.Service"/> (credential, organization) before this runs.</summary>
    internal static ProblemHttpResult? Authorize(HttpContext http, string organizationId) =>
        OrganizationIds.IsWellFormed(organizationId) ? null : Problems.Missing("organization");

    /// <summary>The calling service's actor (<c>operator:keys</c>): whose seals a transit encryption records.</summary>
    internal static string Caller(HttpContext http) => http.User.Actor() ?? throw new InvalidOperationException("An authorized transit call has no actor.");

    private static IReadOnlyDictionary<string, string> Context(Dictionary<string, string>? context) => context ?? [];
}
