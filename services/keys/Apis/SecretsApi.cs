using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Data;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;
using Platform.Keys.Secrets;

using Platform.Keys.Security;
using Platform.Security.Authentication;

namespace Platform.Keys.Apis;

/// <summary>
/// Customer secrets for administrators (SPEC KEY-SECRETS): write-only. A value goes in and is sealed under the
/// organization's key by storage; what comes back is metadata, never the value. A refused request stores nothing.
/// </summary>
public static class SecretsApi
{
    private const int MaxBodyBytes = 64 * 1024;
    private const int MaxPageSize = 100;

    public static IEndpointRouteBuilder MapSecretsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/organizations/{organizationId}/secrets").RequireAuthorization(KeysPolicies.ManageSecrets);
        api.MapGet("/", ListSecrets).WithName("ListSecrets");
        api.MapGet("/{name}", GetSecret).WithName("GetSecret");
        api.MapPut("/{name}", StoreSecret).WithName("StoreSecret");
        api.MapDelete("/{name}", DeleteSecret).WithName("DeleteSecret");
        return app;
    }

    internal static async Task<Results<Ok<SecretListResponse>, ValidationProblem, ProblemHttpResult>> ListSecrets(
        string organizationId, string? after, string? limit, HttpContext http, SecretStore store, CancellationToken cancellationToken)
    {

        var errors = new ValidationErrors();
        if (after is not null && !SecretRules.IsValidName(after)) errors.Add("after", "after is a secret name from a previous page's next.");
        var size = MaxPageSize;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            errors.Add("limit", $"limit is a whole number from 1 to {MaxPageSize}.");
        }

        if (errors.Any) return Problems.Invalid(errors);

        var page = await store.ListAsync(organizationId, after, size + 1, cancellationToken);
        var items = page.Take(size).Select(SecretResponse.From).ToList();
        return TypedResults.Ok(new SecretListResponse(items, page.Count > size ? items[^1].Name : null));
    }

    internal static async Task<Results<Ok<SecretResponse>, ValidationProblem, ProblemHttpResult>> GetSecret(
        string organizationId, string name, HttpContext http, SecretStore store, CancellationToken cancellationToken)
    {
        if (NameProblem(name) is { } invalid) return invalid;

        return await store.GetAsync(organizationId, name, cancellationToken) is { } secret
            ? TypedResults.Ok(SecretResponse.From(secret))
            : SecretProblems.SecretNotFound();
    }

    /// <summary>Creates (201) or replaces (200, the next version) a secret; the value is sealed before anything is written.</summary>
    internal static async Task<Results<Created<SecretResponse>, Ok<SecretResponse>, ValidationProblem, ProblemHttpResult>> StoreSecret(
        string organizationId, string name, HttpContext http, SecretManager manager, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;

        var errors = new ValidationErrors();
        SecretRules.Name(name, errors);
        var (request, present, problem) = await JsonBody.ReadAsync<SecretValueRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return Problems.Invalid("A JSON body { \"value\": \"...\" } is required.");

        var value = SecretRules.Value(request!.Value, errors);
        if (errors.Any || value is null) return Problems.Invalid(errors);

        try
        {
            var (secret, created) = await manager.StoreAsync(organizationId, name, value, ChangeContext.From(http, actor), cancellationToken);
            var response = SecretResponse.From(secret);
            return created ? TypedResults.Created($"/v1/organizations/{organizationId}/secrets/{name}", response) : TypedResults.Ok(response);
        }
        catch (TransitUnavailableException)
        {
            return SecretProblems.Unavailable();
        }
        catch (TransitRefusedException refused)
        {
            return SecretProblems.Refused(refused);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    internal static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> DeleteSecret(
        string organizationId, string name, HttpContext http, SecretManager manager, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;
        if (NameProblem(name) is { } invalid) return invalid;

        return await manager.DeleteAsync(organizationId, name, ChangeContext.From(http, actor), cancellationToken) is null
            ? SecretProblems.SecretNotFound()
            : TypedResults.NoContent();
    }

    internal static ValidationProblem? NameProblem(string name)
    {
        var errors = new ValidationErrors();
        SecretRules.Name(name, errors);
        return errors.Any ? Problems.Invalid(errors) : null;
    }
}
