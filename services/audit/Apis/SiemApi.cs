using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Audit.Security;
using Platform.Audit.Siem;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// An organization's SIEM destinations (README "SIEM delivery"): syslog over TLS, each with its delivery status.
/// Adding and removing one are audited; nothing here ever shows more of a CA certificate than its subject and hash.
/// </summary>
public static class SiemApi
{
    public const string CreatedAction = "audit.siem-destination.created";
    public const string DeletedAction = "audit.siem-destination.deleted";
    private const int MaxCertificateLength = 16 * 1024;
    private static readonly string[] ManagingRoles = ["Owner", "Admin"];

    public static IEndpointRouteBuilder MapSiemApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit/siem/destinations").RequireAuthorization(AuditPolicies.Read);
        api.MapPost("", Create).WithName("CreateSiemDestination");
        api.MapGet("", List).WithName("ListSiemDestinations");
        api.MapDelete("/{id}", Delete).WithName("DeleteSiemDestination");
        return app;
    }

    public sealed record CreateRequest(string? Endpoint, string? CaCertificate, string? Start, string? Kind = null, string? Token = null);

    public sealed record DeliveryStatus(long Cursor, long Lag, int Failures, DateTimeOffset? LastDeliveredAt, string? LastError, DateTimeOffset? LastErrorAt, DateTimeOffset? NextAttemptAt);

    public sealed record CaSummary(string Subject, string Sha256);

    public sealed record Destination(string Id, string Kind, string Endpoint, CaSummary? CaCertificate, bool HasToken, DateTimeOffset CreatedAt, DeliveryStatus Status);

    public sealed record DestinationList(IReadOnlyList<Destination> Items);

    internal static async Task<Results<Created<Destination>, ProblemHttpResult>> Create(
        string? organization, CreateRequest? body, HttpContext http, SiemStore store, TokenSealer sealer, IOptions<SiemOptions> options, ISecurityAudit audit, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var (organizationId, refused) = await OrganizationAsync(http, organization, manage: true);
        if (refused is not null) return refused;
        organization = organizationId;
        if (body is null) return Invalid("Send { \"endpoint\": \"host:port\" } (optional: kind, token, caCertificate as PEM, start: now | beginning).");
        var kind = body.Kind ?? SiemDestination.SyslogTls;
        if (kind is not (SiemDestination.SyslogTls or SiemDestination.SplunkHec)) return Invalid("'kind' is 'syslog-tls' (the default) or 'splunk-hec'.");
        if (kind == SiemDestination.SplunkHec)
        {
            if (!IsToken(body.Token)) return Invalid("A Splunk HEC destination needs its 'token': 1 to 256 printable characters without spaces.");
            if (!sealer.IsAvailable) return Invalid("This platform keeps no SIEM tokens (no token key is configured): HEC destinations cannot be added.");
        }
        else if (body.Token is not null)
        {
            return Invalid("Syslog destinations take no 'token'.");
        }

        if (!DestinationAddress.TryParse(body.Endpoint, out var address, out var problem)) return Invalid(problem);
        if (!options.Value.AllowPrivateNetworks && System.Net.IPAddress.TryParse(address.Host, out var literal) && !DestinationAddress.IsPublic(literal))
        {
            return Invalid("'endpoint' is a loopback, private or otherwise non-public address: audit entries are only sent to public receivers.");
        }

        if (body.Start is not (null or "now" or "beginning")) return Invalid("'start' is 'now' (entries from now on, the default) or 'beginning' (the whole log).");
        if (body.CaCertificate is { } pem && Certificate(pem) is null)
        {
            return Invalid("'caCertificate' must be one CA certificate in PEM (-----BEGIN CERTIFICATE-----), at most 16 KiB.");
        }

        var limit = options.Value.MaxDestinationsPerOrganization;
        var id = SiemStore.NewId();
        var sealedToken = kind == SiemDestination.SplunkHec ? sealer.Seal(id, organization!, body.Token!) : null;
        if (await store.CreateAsync(id, organization!, kind, address, body.CaCertificate, sealedToken, body.Start == "beginning", limit, time.GetUtcNow(), cancellationToken) is not { } created)
        {
            return TypedResults.Problem(statusCode: 409, type: Problems.SiemDestinationLimit, title: "Too many SIEM destinations",
                detail: $"An organization has at most {limit} SIEM destinations: remove one first.");
        }

        await audit.RecordAsync(Entry(http, CreatedAction, organization!, created.Id, new() { ["endpoint"] = address.ToString(), ["kind"] = kind }), cancellationToken);
        return TypedResults.Created($"/v1/audit/siem/destinations/{created.Id}?organization={organization}", View(created, created.Cursor));
    }

    internal static async Task<Results<Ok<DestinationList>, ProblemHttpResult>> List(string? organization, HttpContext http, SiemStore store, CancellationToken cancellationToken)
    {
        var (organizationId, refused) = await OrganizationAsync(http, organization, manage: false);
        if (refused is not null) return refused;
        var destinations = await store.ListAsync(organizationId!, cancellationToken);
        return TypedResults.Ok(new DestinationList([.. destinations.Select(d => View(d.Destination, d.LogSize))]));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> Delete(
        string id, string? organization, HttpContext http, SiemStore store, ISecurityAudit audit, CancellationToken cancellationToken)
    {
        var (organizationId, refused) = await OrganizationAsync(http, organization, manage: true);
        if (refused is not null) return refused;
        organization = organizationId;
        if (!await store.DeleteAsync(organization!, id, cancellationToken))
        {
            return TypedResults.Problem(statusCode: 404, type: Problems.NotFound, title: "No such SIEM destination", detail: "This organization has no SIEM destination with that id.");
        }

        await audit.RecordAsync(Entry(http, DeletedAction, organization!, id, null), cancellationToken);
        return TypedResults.NoContent();
    }

    private static Destination View(SiemDestination d, long logSize)
    {
        var ca = d.CaCertificate is { } pem && Certificate(pem) is { } certificate
            ? new CaSummary(certificate.Subject, Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)))
            : null;
        return new Destination(d.Id, d.Kind, d.Address.ToString(), ca, d.SealedToken is not null, d.CreatedAt,
            new DeliveryStatus(d.Cursor, Math.Max(0, logSize - d.Cursor), d.Failures, d.LastDeliveredAt, d.LastError, d.LastErrorAt, d.NextAttemptAt));
    }

    private static bool IsToken(string? token) => token is { Length: > 0 and <= 256 } && token.All(c => c is > ' ' and <= '~');

    private static X509Certificate2? Certificate(string pem)
    {
        if (pem.Length > MaxCertificateLength) return null;
        try
        {
            return X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static SecurityAuditEntry Entry(HttpContext http, string action, string organization, string target, Dictionary<string, string>? details)
    {
        var change = ChangeContext.From(http, http.User.Actor() ?? "anonymous");
        return new(change.Actor, action, organization, target, "success", change.Ip, change.RequestId, details);
    }

    /// <summary>
    /// Whose destinations: the organization the caller may read (<see cref="AuditAccess"/>: a customer's own, whether
    /// named or not; an operator reader's named one). Adding and removing also need a customer to be an Owner or Admin.
    /// </summary>
    private static async Task<(string? Organization, ProblemHttpResult? Refusal)> OrganizationAsync(HttpContext http, string? requested, bool manage)
    {
        var (allowed, organization, refusal) = await AuditAccess.OrganizationAsync(http, requested);
        if (!allowed) return (null, refusal);
        if (organization is null) return (null, Invalid("Give the 'organization' whose SIEM destinations these are."));
        if (manage && AuditPolicies.IsCustomer(http.User) && !http.User.HasRole(ManagingRoles))
        {
            return (null, await http.RefuseAsync("insufficient-role", "Your role does not allow this", "SIEM destinations are added and removed by Owners and Admins."));
        }

        return (organization, null);
    }

    private static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: 400, type: Problems.SiemDestinationInvalid, title: "The SIEM destination is not valid", detail: detail);
}
