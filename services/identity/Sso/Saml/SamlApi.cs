using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using Platform.Identity.Apis;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// A new SAML connection. <c>wantAssertionsSigned</c> (default true, published as the SP metadata's
/// WantAssertionsSigned): every assertion must carry the IdP's own signature; false for an IdP that signs only the
/// Response, which must then cover the assertion (or the EncryptedAssertion, encrypt-then-sign).
/// </summary>
public sealed record CreateSamlConnectionRequest(string Name, string? MetadataXml = null, string? MetadataUrl = null, bool AllowIdpInitiated = false, string DefaultRole = "Developer",
    bool WantAssertionsSigned = true);

public sealed record SamlCertificateResponse(string Sha256Thumbprint, string Subject, DateTimeOffset NotAfter);

/// <summary>One of the service provider's certificates for a connection: signing or encryption, current or next (during a rollover), PEM.</summary>
public sealed record SamlSpCertificateResponse(string Use, string State, string Sha256Thumbprint, DateTimeOffset NotAfter, string Pem);

/// <summary>A SAML connection as shown to administrators, with what to give the IdP (entity id, ACS URL, metadata URL).</summary>
public sealed record SamlConnectionResponse(string Id, string Name, string IdpEntityId, string SsoUrl, IReadOnlyList<SamlCertificateResponse> Certificates, bool AllowIdpInitiated,
    string DefaultRole, string SpEntityId, string AcsUrl, string SpMetadataUrl, DateTimeOffset CreatedAt, bool WantAuthnRequestsSigned,
    IReadOnlyList<SamlSpCertificateResponse> SpCertificates, bool RolloverInProgress, bool WantAssertionsSigned);

/// <summary>
/// <c>/v1/organizations/{org}/sso/saml/connections</c>: the same rules as the OpenID Connect connections
/// (<see cref="SsoApi.AuthorizeAsync"/>: Owners with a recent second factor change, Owners and Admins list; refusals
/// audited). Domains are claimed for a SAML connection through <c>/sso/domains</c> like any other.
/// </summary>
internal static class SamlApi
{
    public const string MetadataUnusable = "https://platform.dev/problems/saml-metadata-unusable";
    public const string RolloverInProgress = "https://platform.dev/problems/saml-rollover-in-progress";
    public const string NoRollover = "https://platform.dev/problems/saml-no-rollover";
    private const int MaxMetadataDownload = SamlMetadata.MaxLength;

    public static IEndpointRouteBuilder MapSamlApi(this IEndpointRouteBuilder app)
    {
        var saml = app.MapGroup("/v1/organizations/{orgId}/sso/saml/connections");
        saml.MapGet("", List);
        saml.MapPost("", Create);
        saml.MapDelete("/{connectionId}", Delete);
        // SP certificate rollover: start (a next signing and encryption certificate, published beside the current
        // ones), give the IdP the new metadata, then finish (the next ones become the only ones).
        saml.MapPost("/{connectionId}/certificates/rollover", (string orgId, string connectionId, HttpContext http, IServiceProvider services) =>
            Rollover(orgId, connectionId, finish: false, http, services));
        saml.MapPost("/{connectionId}/certificates/rollover/finish", (string orgId, string connectionId, HttpContext http, IServiceProvider services) =>
            Rollover(orgId, connectionId, finish: true, http, services));
        return app;
    }

    private static async Task<IResult> List(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, SsoStore connections,
        SamlStore store, SamlSpKeyStore spKeys, IOptions<IdentityOptions> options, TimeProvider clock)
    {
        var (caller, refusal) = await SsoApi.AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "list-saml-connections");
        if (caller is null) return refusal!;
        var items = new List<SamlConnectionResponse>();
        foreach (var connection in (await connections.ConnectionsAsync(orgId, http.RequestAborted)).Where(c => c.Protocol == SsoConnection.Saml))
        {
            if (await store.SettingsAsync(connection.Id, http.RequestAborted) is { } settings)
            {
                items.Add(Response(connection, settings, options.Value.Issuer, await spKeys.KeysAsync(connection.Id, http.RequestAborted)));
            }
        }

        return Results.Ok(new { items });
    }

    private static async Task<IResult> Create(string orgId, CreateSamlConnectionRequest body, HttpContext http, OrganizationService organizations, ApiAccess access,
        AuditTrail audit, SamlAdministration administration, SamlSpKeyStore spKeys, IHttpClientFactory clients, IOptions<IdentityOptions> options, TimeProvider clock)
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

        var (connection, settings) = await administration.CreateAsync(orgId, caller.UserId, body.Name, metadata, body.AllowIdpInitiated, body.WantAssertionsSigned, body.DefaultRole,
            access.Request(http),
            http.RequestAborted);
        return Results.Created($"/v1/organizations/{orgId}/sso/saml/connections/{connection.Id}",
            Response(connection, settings, options.Value.Issuer, await spKeys.KeysAsync(connection.Id, http.RequestAborted)));
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

    private static async Task<IResult> Rollover(string orgId, string connectionId, bool finish, HttpContext http, IServiceProvider services)
    {
        var access = services.GetRequiredService<ApiAccess>();
        var audit = services.GetRequiredService<AuditTrail>();
        var clock = services.GetRequiredService<TimeProvider>();
        var operation = finish ? "finish-saml-rollover" : "start-saml-rollover";
        var (caller, refusal) = await SsoApi.AuthorizeAsync(orgId, http, services.GetRequiredService<OrganizationService>(), access, audit, clock, ownerOnly: true, operation);
        if (caller is null) return refusal!;
        var connections = services.GetRequiredService<SsoStore>();
        var connection = Ids.IsWellFormed(connectionId, "sso_") ? await connections.ConnectionAsync(orgId, connectionId, http.RequestAborted) : null;
        var settings = connection is { Protocol: SsoConnection.Saml } ? await services.GetRequiredService<SamlStore>().SettingsAsync(connectionId, http.RequestAborted) : null;
        if (connection is null || settings is null)
        {
            await SsoApi.RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "unknown-connection", operation);
            return Problems.NoSuch("SAML connection");
        }

        var keys = await services.GetRequiredService<SamlAdministration>().RolloverAsync(orgId, caller.UserId, connectionId, finish, access.Request(http), http.RequestAborted);
        if (keys is null)
        {
            await SsoApi.RefuseAsync(http, access, audit, clock, caller.UserId, orgId, finish ? "saml-no-rollover" : "saml-rollover-in-progress", operation);
            return finish
                ? Results.Problem(statusCode: 409, type: NoRollover, title: "No certificate rollover is under way",
                    detail: "Start a rollover first; finishing one makes its next certificates the only ones. Nothing was changed.")
                : Results.Problem(statusCode: 409, type: RolloverInProgress, title: "A certificate rollover is already under way",
                    detail: "Finish the rollover under way (once the IdP has the new metadata) before starting another. Nothing was changed.");
        }

        return Results.Ok(Response(connection, settings, services.GetRequiredService<IOptions<IdentityOptions>>().Value.Issuer, keys));
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

    private static SamlConnectionResponse Response(SsoConnection c, SamlSettings s, string issuer, IReadOnlyList<SamlSpKey> keys) =>
        new(c.Id, c.Name, s.IdpEntityId, s.SsoUrl, s.Certificates.Select(Certificate).ToList(), s.AllowIdpInitiated, c.DefaultRole,
            SamlSettings.SpEntityId(issuer, c.Id), SamlSettings.AcsUrl(issuer, c.Id), SamlSettings.MetadataUrl(issuer, c.Id), c.CreatedAt, s.WantAuthnRequestsSigned,
            keys.Select(SpCertificate).ToList(), keys.Any(k => k.State == SamlSpKey.Next), s.WantAssertionsSigned);

    private static SamlSpCertificateResponse SpCertificate(SamlSpKey key)
    {
        using var certificate = key.LoadCertificate();
        return new SamlSpCertificateResponse(key.Use, key.State, SamlAdministration.Thumbprint(key.Certificate),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), certificate.ExportCertificatePem());
    }

    private static SamlCertificateResponse Certificate(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return new SamlCertificateResponse(SamlAdministration.Thumbprint(der), certificate.Subject, new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }
}
