using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Security.Authentication;
using Platform.Storage.Events;
using Platform.Storage.Keys;

namespace Platform.Storage.Apis;

/// <summary>
/// Organization keys for operators and services (service credentials): status, on-demand rotation, rotation period
/// and minimum decryption version (SPEC ENC-ROTATE), rewrap of object keys, and crypto-shredding (SPEC ENC-SHRED).
/// </summary>
public static class KeyManagementApi
{
    private const int MaxBodyBytes = 4096;

    public static IEndpointRouteBuilder MapKeyManagementApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/internal/v1/organizations/{organizationId}/keys").RequireAuthorization(Security.StoragePolicies.Service);
        api.MapGet("/", GetStatus).WithName("GetOrganizationKeys");
        api.MapPost("/rotate", Rotate).WithName("RotateOrganizationKey");
        api.MapPut("/policy", SetPolicy).WithName("SetOrganizationKeyPolicy");
        api.MapPost("/rewrap", RewrapObjects).WithName("RewrapObjectKeys");
        api.MapPost("/destroy", Destroy).WithName("DestroyOrganizationKeys");
        return app;
    }

    internal static async Task<Results<Ok<OrganizationKeyStatus>, ProblemHttpResult>> GetStatus(
        string organizationId, HttpContext http, KeyAdministration administration, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        return await administration.StatusAsync(organizationId, cancellationToken) is { } status
            ? TypedResults.Ok(status)
            : Problems.Unavailable(new KeyUnavailableException(KeyUnavailableReason.UnknownOrganization));
    }

    /// <summary>Makes a new current version now (creating the organization's first key if it has none).</summary>
    internal static async Task<Results<Ok<RotateResponse>, ProblemHttpResult>> Rotate(
        string organizationId, HttpContext http, OrganizationKeyRing ring, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        try
        {
            await ring.ForEncryptionAsync(organizationId, cancellationToken);
            return TypedResults.Ok(new RotateResponse(await ring.RotateAsync(organizationId, "on-demand", null, cancellationToken)));
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
    }

    internal static async Task<Results<Ok<OrganizationKeyStatus>, ProblemHttpResult>> SetPolicy(
        string organizationId, HttpContext http, KeyAdministration administration, CancellationToken cancellationToken)
    {
        var (request, problem) = await TransitApi.ReadAsync<KeyPolicyRequest>(http, organizationId, cancellationToken);
        if (problem is not null) return problem;
        if (request!.RotationPeriodDays is < 1 or > 3650) return Problems.Invalid("rotationPeriodDays must be from 1 to 3650.");
        if (request.MinDecryptionVersion is < 1) return Problems.Invalid("minDecryptionVersion must be at least 1.");
        try
        {
            if (!await administration.SetPolicyAsync(organizationId, request.RotationPeriodDays, request.MinDecryptionVersion, cancellationToken))
            {
                return Problems.Unavailable(new KeyUnavailableException(KeyUnavailableReason.UnknownOrganization));
            }
        }
        catch (PolicyConflictException exception)
        {
            return TypedResults.Problem(statusCode: 409, type: Problems.PolicyConflict, title: "The key policy cannot be applied", detail: exception.Message);
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }

        return TypedResults.Ok((await administration.StatusAsync(organizationId, cancellationToken))!);
    }

    internal static async Task<Results<Ok<RewrapObjectsResponse>, ProblemHttpResult>> RewrapObjects(
        string organizationId, HttpContext http, DataKeyRewrapper rewrapper, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        return TypedResults.Ok(new RewrapObjectsResponse(await rewrapper.RewrapAsync(organizationId, cancellationToken)));
    }

    /// <summary>Destroys every key version of the organization and answers with the deletion receipt (also published).</summary>
    internal static async Task<Results<Ok<EncryptionKeysDestroyed>, ProblemHttpResult>> Destroy(
        string organizationId, HttpContext http, KeyAdministration administration, CancellationToken cancellationToken)
    {
        var (request, problem) = await TransitApi.ReadAsync<DestroyKeysRequest>(http, organizationId, cancellationToken);
        if (problem is not null) return problem;
        if (request!.Confirm != organizationId) return Problems.Invalid("confirm must repeat the organization id: destroying its keys cannot be undone.");
        if (request.RequestedBy is not { Length: > 0 and <= 200 } || request.RequestedBy.Any(char.IsControl)) return Problems.Invalid("requestedBy must name who asked (1 to 200 characters).");
        if (request.Reason is not { Length: > 0 and <= 500 } || request.Reason.Any(char.IsControl)) return Problems.Invalid("reason must say why (1 to 500 characters).");

        var caller = http.User.Actor()!["operator:".Length..];
        try
        {
            return await administration.DestroyAsync(organizationId, $"{caller}:{request.RequestedBy}", request.Reason, cancellationToken) is { } receipt
                ? TypedResults.Ok(receipt)
                : Problems.Unavailable(new KeyUnavailableException(KeyUnavailableReason.UnknownOrganization));
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
    }
}
