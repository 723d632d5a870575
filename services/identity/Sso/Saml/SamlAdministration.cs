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
internal sealed class SamlAdministration(NpgsqlDataSource dataSource, SsoStore store, SamlSpKeyStore spKeys, IOutbox outbox, TimeProvider clock)
{
    public async Task<(SsoConnection Connection, SamlSettings Settings)> CreateAsync(string orgId, string actor, string name, IdpMetadata metadata, bool allowIdpInitiated,
        bool wantAssertionsSigned, string defaultRole, RequestInfo request, CancellationToken cancellationToken)
    {
        var id = "sso_" + Guid.CreateVersion7().ToString("N");
        var now = clock.GetUtcNow();
        var connection = new SsoConnection(id, orgId, name.Trim(), metadata.EntityId, "", [], "", defaultRole, metadata.SsoUrl, "", "", now, SsoConnection.Saml);
        var settings = new SamlSettings(id, metadata.EntityId, metadata.SsoUrl, metadata.Certificates, allowIdpInitiated, metadata.WantAuthnRequestsSigned,
            wantAssertionsSigned);
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
            ["want_authn_requests_signed"] = metadata.WantAuthnRequestsSigned ? "true" : "false",
            ["want_assertions_signed"] = wantAssertionsSigned ? "true" : "false",
            ["default_role"] = defaultRole,
        }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (connection, settings);
    }

    /// <summary>
    /// Starts (<paramref name="finish"/> false) or finishes a rollover of the connection's SP certificates, audited
    /// with the thumbprints in the same transaction. Null when there is nothing to do: a rollover already under way,
    /// or none to finish.
    /// </summary>
    public async Task<IReadOnlyList<SamlSpKey>?> RolloverAsync(string orgId, string actor, string connectionId, bool finish, RequestInfo request, CancellationToken cancellationToken)
    {
        // The current pairs exist before a next one is made (a connection from before SP keys gets its own first).
        var before = await spKeys.KeysAsync(connectionId, cancellationToken);
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var keys = finish
            ? await spKeys.FinishRolloverAsync(connectionId, transaction, cancellationToken)
            : await spKeys.StartRolloverAsync(connectionId, transaction, cancellationToken);
        if (keys is null) return null;
        string Thumbprints(IEnumerable<SamlSpKey> k) => string.Join(' ', k.Select(key => key.Use + ":" + Thumbprint(key.Certificate)));
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actor, finish ? AuditActions.SsoSamlRolloverFinished : AuditActions.SsoSamlRolloverStarted, "success",
            connectionId, orgId, new Dictionary<string, string>
            {
                ["next"] = Thumbprints(finish ? [] : keys.Where(k => k.State == SamlSpKey.Next)),
                ["current"] = Thumbprints(keys.Where(k => k.State == SamlSpKey.Current)),
                ["retired"] = Thumbprints(finish ? before.Where(k => k.State == SamlSpKey.Current) : []),
            }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return keys;
    }

    /// <summary>A certificate's SHA-256 thumbprint (hex), as administrators compare it with their IdP's console.</summary>
    public static string Thumbprint(byte[] der) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(der));
}
