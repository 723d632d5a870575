using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;
using Platform.Keys.Secrets;

using Platform.Keys.Security;
using Platform.Security.Authentication;

namespace Platform.Keys.Apis;

/// <summary>
/// A secret's value for the services that use it (SPEC KEY-SECRETS), with a consumer credential
/// (<c>Keys:Secrets:Consumers</c>), each limited to its organizations. Never behind the public gateway route; every
/// reveal is audited with the consumer's name.
/// </summary>
public static class SecretRevealApi
{
    public static IEndpointRouteBuilder MapSecretRevealApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/internal/v1/organizations/{organizationId}/secrets/{name}/reveal", RevealSecret).WithName("RevealSecret").RequireAuthorization(KeysPolicies.RevealSecrets);
        return app;
    }

    internal static async Task<Results<Ok<RevealedSecretResponse>, ValidationProblem, ProblemHttpResult>> RevealSecret(
        string organizationId, string name, HttpContext http, SecretManager manager, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId)) return Problems.Invalid("An organization id is org_ and 1 to 60 letters or digits.");

        if (SecretsApi.NameProblem(name) is { } invalid) return invalid;

        try
        {
            if (await manager.RevealAsync(organizationId, name, ChangeContext.From(http, http.User.Actor()!), cancellationToken) is not { } revealed)
            {
                return SecretProblems.SecretNotFound();
            }

            var (secret, value) = revealed;
            try
            {
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Ok(new RevealedSecretResponse(secret.Name, secret.Version, Encoding.UTF8.GetString(value)));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(value);
            }
        }
        catch (TransitUnavailableException)
        {
            return SecretProblems.Unavailable();
        }
        catch (TransitRefusedException refused)
        {
            return SecretProblems.Refused(refused);
        }
    }
}
