using Platform.Identity.Apis;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;

namespace Platform.Identity.Oidc;

/// <summary>A client of the organization as listed: never its secret.</summary>
public sealed record ClientListItem(string ClientId, string Name, string Type, IReadOnlyList<string> Scopes, IReadOnlyList<string> RedirectUris, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A rotated client's new secret, shown exactly once, and until when the replaced one still works (null: not at all).</summary>
public sealed record RotatedClientSecretResponse(string ClientId, string ClientSecret, DateTimeOffset? PreviousSecretValidUntil);

/// <summary>How long the replaced secret keeps working, in seconds (0 to 7 days; none by default).</summary>
public sealed record RotateSecretRequest(int? OverlapSeconds);

/// <summary>
/// An organization's OAuth clients beyond creating them (<c>POST …/clients</c>, in the organizations API): list (Owners
/// and Admins), rotate a confidential client's secret and delete a client (Owners and Admins with a recent second
/// factor). Another organization's client is "no such client".
/// </summary>
internal static class ClientsApi
{
    public static IEndpointRouteBuilder MapClientsApi(this IEndpointRouteBuilder app)
    {
        var clients = app.MapGroup("/v1/organizations/{orgId}/clients");
        clients.MapGet("", List);
        clients.MapPost("/{clientId}/rotate-secret", RotateSecret);
        clients.MapDelete("/{clientId}", Delete);
        return app;
    }

    private static async Task<IResult> List(string orgId, HttpContext http, OrganizationService organizations, ClientService clients, ApiAccess access)
    {
        var (caller, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: false);
        if (caller is null) return refusal!;
        var list = await clients.ListAsync(orgId, http.RequestAborted);
        return Results.Ok(new { items = list.Select(c => new ClientListItem(c.ClientId, c.Name, c.Type, c.Scopes, c.RedirectUris, c.CreatedBy, c.CreatedAt)) });
    }

    private static async Task<IResult> RotateSecret(string orgId, string clientId, RotateSecretRequest? body, HttpContext http, OrganizationService organizations, ClientService clients,
        ApiAccess access, TimeProvider clock)
    {
        var (caller, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: true);
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(clientId, "cli_")) return Problems.NoSuch("client");
        var seconds = body?.OverlapSeconds ?? 0;
        if (seconds is < 0 or > ClientService.MaxOverlapSeconds)
        {
            return Problems.Invalid("overlapSeconds", $"Must be from 0 to {ClientService.MaxOverlapSeconds} seconds (7 days); 0, the default, refuses the old secret at once.");
        }

        DateTimeOffset? until = seconds > 0 ? clock.GetUtcNow().AddSeconds(seconds) : null;
        http.Response.Headers.CacheControl = "no-store";
        return await clients.RotateSecretAsync(orgId, clientId, until, caller.UserId, access.Request(http), http.RequestAborted) switch
        {
            null => Problems.NoSuch("client"),
            "" => Results.Problem(statusCode: 409, type: Problems.Conflict, title: "No secret", detail: "A single-page app is a public client: it has no secret to rotate."),
            var secret => Results.Ok(new RotatedClientSecretResponse(clientId, secret, until)),
        };
    }

    private static async Task<IResult> Delete(string orgId, string clientId, HttpContext http, OrganizationService organizations, ClientService clients, ApiAccess access)
    {
        var (caller, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: true);
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(clientId, "cli_")) return Problems.NoSuch("client");
        return await clients.DeleteAsync(orgId, clientId, caller.UserId, access.Request(http), http.RequestAborted) ? Results.NoContent() : Problems.NoSuch("client");
    }

    private static async Task<(Caller? Caller, IResult? Refusal)> AdministratorAsync(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, bool stepUp)
    {
        var (caller, refusal) = await access.OrganizationCallerAsync(http, orgId);
        if (caller is null) return (null, refusal);
        var role = Ids.IsWellFormed(orgId, "org_") ? await organizations.RoleOfAsync(orgId, caller.UserId, http.RequestAborted) : null;
        // Not a member and no such organization look the same.
        if (role is null) return (null, Problems.NoSuch("organization"));
        if (!OrgRoles.Administers(role)) return (null, Problems.Forbid("Only Owners and Admins can do this."));
        if (stepUp && access.RequireStepUp(http, caller) is { } stepUpRefusal) return (null, stepUpRefusal);
        return (caller, null);
    }
}
