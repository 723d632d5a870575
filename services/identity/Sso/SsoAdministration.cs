using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Mfa;
using Platform.Identity.Model;
using Platform.Messaging;

namespace Platform.Identity.Sso;

internal enum SsoOutcome
{
    Done,
    Invalid,
    NotFound,
    DomainTaken,
    NotVerified,
}

/// <summary>
/// What an organization's Owner configures (issue 18 items 1 and 2): OIDC connections, whose client secret is sealed
/// under the data key and never returned, and email domains proven by a TXT record. Every change is audited with
/// the change, in its transaction.
/// </summary>
internal sealed class SsoAdministration(NpgsqlDataSource dataSource, SsoStore store, IssuerDiscovery discovery, DataProtector protector,
    IDomainTxtResolver resolver, IOutbox outbox, TimeProvider clock)
{
    public const string TxtPrefix = "_platform-verification.";
    public const string TokenPrefix = "platform-domain-verification=";
    private static readonly string[] AllowedScopes = ["openid", "email", "profile"];

    public static string SecretContext(string connectionId) => "sso-secret:" + connectionId;

    public static string? Validate(string? name, string? issuer, string? clientId, string? clientSecret, IReadOnlyList<string>? scopes, string? defaultRole)
    {
        if (name is not { Length: > 0 and <= 100 } || string.IsNullOrWhiteSpace(name) || name.Any(char.IsControl)) return "name must be 1 to 100 characters, without control characters.";
        if (issuer is not { Length: > 0 and <= 2048 }) return "issuer is required.";
        if (clientId is not { Length: > 0 and <= 255 } || clientId.Any(char.IsControl)) return "clientId must be 1 to 255 characters.";
        if (clientSecret is not { Length: > 0 and <= 1024 } || clientSecret.Any(char.IsControl)) return "clientSecret must be 1 to 1024 characters.";
        if (scopes is not null && (scopes.Count > 3 || scopes.Any(s => !AllowedScopes.Contains(s, StringComparer.Ordinal))))
        {
            return "scopes may only be openid, email and profile (openid and email are always asked for).";
        }

        if (!OrgRoles.IsValid(defaultRole) || defaultRole == OrgRoles.Owner) return "defaultRole must be Admin, Developer, Viewer or Auditor.";
        return null;
    }

    public async Task<(SsoConnection? Connection, string? Error)> CreateConnectionAsync(string orgId, string actor, string name, string issuer, string clientId, string clientSecret,
        IReadOnlyList<string>? scopes, string defaultRole, RequestInfo request, CancellationToken cancellationToken)
    {
        var (metadata, error) = await discovery.DiscoverAsync(issuer, cancellationToken);
        if (metadata is null) return (null, error);
        var id = "sso_" + Guid.CreateVersion7().ToString("N");
        var now = clock.GetUtcNow();
        var asked = new[] { "openid", "email" }.Concat(scopes ?? []).Distinct(StringComparer.Ordinal);
        var connection = new SsoConnection(id, orgId, name.Trim(), metadata.Issuer, clientId, protector.Protect(System.Text.Encoding.UTF8.GetBytes(clientSecret), SecretContext(id)),
            string.Join(' ', asked), defaultRole, metadata.AuthorizationEndpoint, metadata.TokenEndpoint, metadata.JwksUri, now, UserinfoEndpoint: metadata.UserinfoEndpoint);
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await store.InsertConnectionAsync(connection, actor, transaction, cancellationToken);
        await outbox.EnqueueAsync(request.Audit(now, actor, AuditActions.SsoConnectionCreated, "success", id, orgId,
            new Dictionary<string, string> { ["issuer"] = metadata.Issuer, ["client_id"] = clientId, ["default_role"] = defaultRole }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (connection, null);
    }

    /// <summary>Replaces a connection's group → role mappings (and the claim that carries the groups); audited with the mappings.</summary>
    public async Task<bool> SetRoleMappingsAsync(string orgId, string actor, string connectionId, string groupsClaim, IReadOnlyList<(string Group, string Role)> mappings,
        RequestInfo request, CancellationToken cancellationToken)
    {
        if (await store.ConnectionAsync(orgId, connectionId, cancellationToken) is null) return false;
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await SsoStore.ReplaceRoleMappingsAsync(connectionId, groupsClaim, mappings, transaction, cancellationToken);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actor, AuditActions.SsoRoleMappingsChanged, "success", connectionId, orgId,
            new Dictionary<string, string>
            {
                ["groups_claim"] = groupsClaim,
                ["mappings"] = string.Join(", ", mappings.Select(m => $"{m.Group} => {m.Role}")),
            }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> DeleteConnectionAsync(string orgId, string actor, string id, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        if (!await SsoStore.DeleteConnectionAsync(orgId, id, transaction, cancellationToken)) return false;
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actor, AuditActions.SsoConnectionDeleted, "success", id, orgId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>A domain name as stored: lower-case ASCII (IDNA), at least two labels, no trailing dot.</summary>
    public static string? NormalizeDomain(string? domain)
    {
        if (domain is not { Length: > 0 and <= 253 }) return null;
        string ascii;
        try
        {
            ascii = new IdnMapping().GetAscii(domain.Trim().TrimEnd('.')).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }

        var labels = ascii.Split('.');
        return labels.Length >= 2 && labels.All(l => l is { Length: > 0 and <= 63 } && l[0] != '-' && l[^1] != '-' && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            && !labels[^1].All(char.IsAsciiDigit)
            ? ascii
            : null;
    }

    public async Task<(SsoOutcome Outcome, SsoDomain? Domain)> ClaimDomainAsync(string orgId, string actor, string domain, string connectionId, RequestInfo request, CancellationToken cancellationToken)
    {
        if (await store.ConnectionAsync(orgId, connectionId, cancellationToken) is null) return (SsoOutcome.NotFound, null);
        if (await store.VerifiedDomainAsync(domain, cancellationToken) is { } verified && verified.OrganizationId != orgId) return (SsoOutcome.DomainTaken, null);
        var token = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(24));
        var now = clock.GetUtcNow();
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            """
            INSERT INTO sso_domains (org_id, domain, connection_id, verification_token, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, domain) DO UPDATE SET connection_id = EXCLUDED.connection_id
            RETURNING verification_token, verified_at, sso_only
            """, db, transaction))
        {
            foreach (var value in (object[])[orgId, domain, connectionId, token, actor, now]) command.Parameters.AddWithValue(value);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            token = reader.GetString(0);
            var claimed = new SsoDomain(orgId, domain, connectionId, token, reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1), reader.GetBoolean(2));
            await reader.CloseAsync();
            await outbox.EnqueueAsync(request.Audit(now, actor, AuditActions.SsoDomainClaimed, "success", domain, orgId,
                new Dictionary<string, string> { ["connection_id"] = connectionId }), transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return (SsoOutcome.Done, claimed);
        }
    }

    /// <summary>Looks for the claim's token in <c>_platform-verification.{domain}</c> TXT; the first organization to prove a domain keeps it.</summary>
    public async Task<SsoOutcome> VerifyDomainAsync(string orgId, string actor, string domain, RequestInfo request, CancellationToken cancellationToken)
    {
        var claim = await store.DomainAsync(orgId, domain, cancellationToken);
        if (claim is null) return SsoOutcome.NotFound;
        if (claim.VerifiedAt is not null) return SsoOutcome.Done;
        var records = await resolver.TxtRecordsAsync(TxtPrefix + domain, cancellationToken);
        if (!records.Any(r => CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(r.Trim()), System.Text.Encoding.UTF8.GetBytes(claim.VerificationToken))))
        {
            return SsoOutcome.NotVerified;
        }

        var now = clock.GetUtcNow();
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("UPDATE sso_domains SET verified_at = $3 WHERE org_id = $1 AND domain = $2 AND verified_at IS NULL", db, transaction);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(domain);
        command.Parameters.AddWithValue(now);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return SsoOutcome.DomainTaken;
        }

        await outbox.EnqueueAsync(request.Audit(now, actor, AuditActions.SsoDomainVerified, "success", domain, orgId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return SsoOutcome.Done;
    }

    public async Task<SsoOutcome> SetSsoOnlyAsync(string orgId, string actor, string domain, bool ssoOnly, RequestInfo request, CancellationToken cancellationToken)
    {
        var claim = await store.DomainAsync(orgId, domain, cancellationToken);
        if (claim is null) return SsoOutcome.NotFound;
        if (claim.VerifiedAt is null) return SsoOutcome.NotVerified;
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("UPDATE sso_domains SET sso_only = $3 WHERE org_id = $1 AND domain = $2", db, transaction);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(domain);
        command.Parameters.AddWithValue(ssoOnly);
        await command.ExecuteNonQueryAsync(cancellationToken);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actor, AuditActions.SsoDomainChanged, "success", domain, orgId,
            new Dictionary<string, string> { ["sso_only"] = ssoOnly ? "true" : "false" }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return SsoOutcome.Done;
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
