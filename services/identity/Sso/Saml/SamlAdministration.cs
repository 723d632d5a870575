using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Messaging;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// Creates an organization's SAML connection from the IdP's metadata (issue 18 item 1): a row of sso_connections
/// (so domains, linked subjects and deletion are shared with OpenID Connect) and its SAML settings, audited in the
/// same transaction. Metadata that cannot be used leaves nothing behind.
/// </summary>
internal sealed class SamlAdministration(NpgsqlDataSource dataSource, SsoStore store, IOutbox outbox, TimeProvider clock)
{
    public async Task<(SsoConnection Connection, SamlSettings Settings)> CreateAsync(string orgId, string actor, string name, IdpMetadata metadata, bool allowIdpInitiated,
        string defaultRole, RequestInfo request, CancellationToken cancellationToken)
    {
        var id = "sso_" + Guid.CreateVersion7().ToString("N");
        var now = clock.GetUtcNow();
        var connection = new SsoConnection(id, orgId, name.Trim(), metadata.EntityId, "", [], "", defaultRole, metadata.SsoUrl, "", "", now, SsoConnection.Saml);
        var settings = new SamlSettings(id, metadata.EntityId, metadata.SsoUrl, metadata.Certificates, allowIdpInitiated);
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await store.InsertConnectionAsync(connection, actor, transaction, cancellationToken);
        await SamlStore.InsertAsync(settings, transaction, cancellationToken);
        await outbox.EnqueueAsync(request.Audit(now, actor, AuditActions.SsoConnectionCreated, "success", id, orgId, new Dictionary<string, string>
        {
            ["protocol"] = SsoConnection.Saml,
            ["idp_entity_id"] = metadata.EntityId,
            ["certificates"] = string.Join(' ', metadata.Certificates.Select(Thumbprint)),
            ["allow_idp_initiated"] = allowIdpInitiated ? "true" : "false",
            ["default_role"] = defaultRole,
        }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (connection, settings);
    }

    /// <summary>A certificate's SHA-256 thumbprint (hex), as administrators compare it with their IdP's console.</summary>
    public static string Thumbprint(byte[] der) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(der));
}
