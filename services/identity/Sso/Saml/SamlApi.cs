using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Platform.Identity.Apis;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;

namespace Platform.Identity.Sso.Saml;

public sealed record CreateSamlConnectionRequest(string Name, string? MetadataXml = null, string? MetadataUrl = null, bool AllowIdpInitiated = false, string DefaultRole = "Developer");

public sealed record SamlCertificateResponse(string Sha256Thumbprint, string Subject, DateTimeOffset NotAfter);

/// <summary>A SAML connection as shown to administrators, with what to give the IdP (entity id, ACS URL, metadata URL).</summary>
public sealed record SamlConnectionResponse(string Id, string Name, string IdpEntityId, string SsoUrl, IReadOnlyList<SamlCertificateResponse> Certificates, bool AllowIdpInitiated,
    string DefaultRole, string SpEntityId, string AcsUrl, string SpMetadataUrl, DateTimeOffset CreatedAt);

/// <summary>
/// <c>/v1/organizations/{org}/sso/saml/connections</c>: the same rules as the OpenID Connect connections
/// (<see cref="SsoApi.AuthorizeAsync"/>: Owners with a recent second factor change, Owners and Admins list; refusals
/// audited). Domains are claimed for a SAML connection through <c>/sso/domains</c> like any other.
/// </summary>
internal static class SamlApi
{
    public const string MetadataUnusable = "https://platform.dev/problems/saml-metadata-unusable";
    private const int MaxMetadataDownload = SamlMetadata.MaxLength;

    public static IEndpointRouteBuilder MapSamlApi(this IEndpointRouteBuilder app)
    {
        var saml = app.MapGroup("/v1/organizations/{orgId}/sso/saml/connections");
        saml.MapGet("", List);
        saml.MapPost("", Create);
        saml.MapDelete("/{connectionId}", Delete);
        return app;
    }

    private static async Task<IResult> List(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, SsoStore connections,
        SamlStore store, IOptions<IdentityOptions> options, TimeProvider clock)
    {
        var (caller, refusal) = await SsoApi.AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "list-saml-connections");
        if (caller is null) return refusal!;
        var items = new List<SamlConnectionResponse>();
        foreach (var connection in (await connections.ConnectionsAsync(orgId, http.RequestAborted)).Where(c => c.Protocol == SsoConnection.Saml))
        {
            if (await store.SettingsAsync(connection.Id, http.RequestAborted) is { } settings) items.Add(Response(connection, settings, options.Value.Issuer));
        }

        return Results.Ok(new { items });
    }

    private static async Task<IResult> Create(string orgId, CreateSamlConnectionRequest body, HttpContext http, OrganizationService organizations, ApiAccess access,
        AuditTrail audit, SamlAdministration administration, IHttpClientFactory clients, IOptions<IdentityOptions> options, TimeProvider clock)
    {
        var (caller, refusal) = await SsoApi.AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "create-saml-connection");
        if (caller is null) return refusal!;
        if (body.Name is not { Length: > 0 and <= 100 } || string.IsNullOrWhiteSpace(body.Name) || body.Name.Any(char.IsControl))
        {
            return Problems.Invalid("name", "name must be 1 to 100 characters, without control characters.");
        }

        if (!OrgRoles.IsValid(body.DefaultRole) || body.DefaultRole == OrgRoles.Owner) return Problems.Invalid("defaultRole", "defaultRole must be Admin, Developer, Viewer or Auditor.");
        if ((body.MetadataXml is null) == (body.MetadataUrl is null)) return Problems.Invalid("metadataXml", "Send the IdP's metadata as metadataXml or metadataUrl (one of them).");
        var allowHttp = options.Value.Sso.AllowLoopbackHttpIssuers;
        var xml = body.MetadataXml ?? await DownloadAsync(body.MetadataUrl!, allowHttp, clients, http.RequestAborted);
        var (metadata, error) = xml is null
            ? (null, "The metadata URL must be https and answer with the metadata (at most 512 KiB).")
            : SamlMetadata.ParseIdp(xml, clock.GetUtcNow(), allowHttp);
        if (metadata is null)
        {
            await SsoApi.RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "saml-metadata-unusable", "create-saml-connection");
            return Results.Problem(statusCode: 400, type: MetadataUnusable, title: "The IdP metadata cannot be used", detail: error);
        }

        var (connection, settings) = await administration.CreateAsync(orgId, caller.UserId, body.Name, metadata, body.AllowIdpInitiated, body.DefaultRole, access.Request(http),
            http.RequestAborted);
        return Results.Created($"/v1/organizations/{orgId}/sso/saml/connections/{connection.Id}", Response(connection, settings, options.Value.Issuer));
    }

    private static async Task<IResult> Delete(string orgId, string connectionId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit,
        SsoStore connections, SsoAdministration administration, TimeProvider clock)
    {
        var (caller, refusal) = await SsoApi.AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "delete-saml-connection");
        if (caller is null) return refusal!;
        // Another organization's connection, named by its id, is not found here: the lookup is within this organization.
        var connection = Ids.IsWellFormed(connectionId, "sso_") ? await connections.ConnectionAsync(orgId, connectionId, http.RequestAborted) : null;
        if (connection is not { Protocol: SsoConnection.Saml }
            || !await administration.DeleteConnectionAsync(orgId, caller.UserId, connectionId, access.Request(http), http.RequestAborted))
        {
            await SsoApi.RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "unknown-connection", "delete-saml-connection");
            return Problems.NoSuch("SAML connection");
        }

        return Results.NoContent();
    }

    /// <summary>Reads metadata through the IdP client (public addresses only unless configured otherwise), bounded in size.</summary>
    private static async Task<string?> DownloadAsync(string url, bool allowHttp, IHttpClientFactory clients, CancellationToken cancellationToken)
    {
        if (!SamlMetadata.IsAllowedUrl(url, allowHttp)) return null;
        try
        {
            using var client = clients.CreateClient(IssuerDiscovery.HttpClientName);
            using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentLength > MaxMetadataDownload) return null;
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxMetadataDownload + 1];
            var total = 0;
            int read;
            while (total <= MaxMetadataDownload && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0) total += read;
            return total > MaxMetadataDownload ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, total);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException)
        {
            return null;
        }
    }

    private static SamlConnectionResponse Response(SsoConnection c, SamlSettings s, string issuer) =>
        new(c.Id, c.Name, s.IdpEntityId, s.SsoUrl, s.Certificates.Select(Certificate).ToList(), s.AllowIdpInitiated, c.DefaultRole,
            SamlSettings.SpEntityId(issuer, c.Id), SamlSettings.AcsUrl(issuer, c.Id), SamlSettings.MetadataUrl(issuer, c.Id), c.CreatedAt);

    private static SamlCertificateResponse Certificate(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return new SamlCertificateResponse(SamlAdministration.Thumbprint(der), certificate.Subject, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }
}
