using System.Security.Cryptography;
using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Messaging;

namespace Platform.Identity.Scim;

/// <summary>The organization's SCIM token as its administrators see it: never the token itself.</summary>
public sealed record ScimTokenStatus(string Hint, string DefaultRole, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>
/// One SCIM bearer token per organization (<c>scim_</c> and 256 random bits, base64url): shown once when created or
/// rotated, stored as SHA-256 only. Rotating replaces it at once (the old one stops working); revoking deletes it.
/// </summary>
internal sealed class ScimTokens(NpgsqlDataSource dataSource, IOutbox outbox, TimeProvider clock)
{
    public const string Prefix = "scim_";

    public static bool LooksLikeToken(string? value) =>
        value is { Length: 48 } && value.StartsWith(Prefix, StringComparison.Ordinal) && value.Skip(Prefix.Length).All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    /// <summary>What the audit trail and the administrators see of a token: its first four characters after the prefix.</summary>
    public static string HintOf(string token) => token[..(Prefix.Length + 4)];

    /// <returns>The new token (to show once).</returns>
    public async Task<string> IssueAsync(string orgId, string actorId, string defaultRole, RequestInfo request, CancellationToken cancellationToken)
    {
        var token = Prefix + SecretTokens.New();
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var upsert = new NpgsqlCommand(
            """
            INSERT INTO scim_tokens (org_id, token_hash, hint, default_role, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, hint = EXCLUDED.hint, default_role = EXCLUDED.default_role,
                created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at
            """, connection, transaction))
        {
            upsert.Parameters.AddWithValue(orgId);
            upsert.Parameters.AddWithValue(Hash(token));
            upsert.Parameters.AddWithValue(HintOf(token));
            upsert.Parameters.AddWithValue(defaultRole);
            upsert.Parameters.AddWithValue(actorId);
            upsert.Parameters.AddWithValue(now);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(request.Audit(now, actorId, AuditActions.ScimTokenCreated, "success", HintOf(token), orgId,
            new Dictionary<string, string> { ["defaultRole"] = defaultRole }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return token;
    }

    public async Task<bool> RevokeAsync(string orgId, string actorId, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var delete = new NpgsqlCommand("DELETE FROM scim_tokens WHERE org_id = $1 RETURNING hint", connection, transaction);
        delete.Parameters.AddWithValue(orgId);
        if (await delete.ExecuteScalarAsync(cancellationToken) is not string hint) return false;
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actorId, AuditActions.ScimTokenRevoked, "success", hint, orgId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<ScimTokenStatus?> StatusAsync(string orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT hint, default_role, created_by, created_at FROM scim_tokens WHERE org_id = $1");
        command.Parameters.AddWithValue(orgId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ScimTokenStatus(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3))
            : null;
    }

    /// <returns>The organization and the token's hint, or null for a token that is not (or no longer) issued.</returns>
    public async Task<(string OrgId, string Hint)?> FindAsync(string token, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT org_id, hint FROM scim_tokens WHERE token_hash = $1");
        command.Parameters.AddWithValue(Hash(token));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetString(1)) : null;
    }
}
