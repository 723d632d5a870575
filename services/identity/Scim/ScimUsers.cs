using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Messaging;

namespace Platform.Identity.Scim;

/// <summary>
/// Provisioning of users (RFC 7644 sections 3.3, 3.5, 3.6) and what it does to the platform: a SCIM user is an
/// account (the one with that address, else a new one without a password) and a membership of the token's
/// organization (<see cref="ScimMembership"/>). Owners are never created, changed or removed through SCIM. Only an
/// account this organization's SCIM created, and that belongs to no other organization, has its address changed by
/// a new <c>userName</c>; any other account keeps its address (SCIM only manages its membership here).
/// </summary>
internal sealed class ScimUsers(NpgsqlDataSource dataSource, ScimMembership membership, IOutbox outbox, TimeProvider clock)
{
    public async Task<ScimUserRow> CreateAsync(ScimCaller caller, JsonObject body, CancellationToken cancellationToken)
    {
        var document = ScimResourceReader.Read(body, ScimSchemas.Users);
        var (userName, externalId, active) = Columns(document);
        var email = AccountEmail(document);
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ScimMembership.Scalar<string>(transaction, "SELECT user_id FROM scim_users WHERE org_id = $1 AND user_name_normalized = lower($2)", cancellationToken,
                caller.OrgId, userName) is not null)
        {
            throw ScimError.Uniqueness("A user with this userName exists.");
        }

        var userId = await ScimMembership.Scalar<string>(transaction, "SELECT id FROM users WHERE email_normalized = $1 FOR UPDATE", cancellationToken, email);
        var createdAccount = userId is null;
        if (userId is null)
        {
            userId = Ids.NewUser();
            // No password: the account signs in through the organization's IdP (or sets one with a password reset).
            await ScimMembership.Execute(transaction, "INSERT INTO users (id, email, email_normalized, password_hash, created_at) VALUES ($1, $2, $2, '!sso', $3)",
                cancellationToken, userId, email, now);
        }
        else
        {
            if (await ScimMembership.RoleAsync(transaction, caller.OrgId, userId, cancellationToken) == OrgRoles.Owner) throw OwnerRefusal();
            if (await ScimMembership.Scalar<string>(transaction, "SELECT user_id FROM scim_users WHERE org_id = $1 AND user_id = $2", cancellationToken, caller.OrgId, userId) is not null)
            {
                throw ScimError.Uniqueness("The account with this address is already provisioned under another userName.");
            }
        }

        await Unique(ScimMembership.Execute(transaction,
            """
            INSERT INTO scim_users (org_id, user_id, user_name, user_name_normalized, external_id, active, resource, created_account, version, created_at, updated_at)
            VALUES ($1, $2, $3, lower($3), $4, $5, $6::jsonb, $7, 1, $8, $8)
            """, cancellationToken, caller.OrgId, userId, userName, externalId, active, document.ToJsonString(), createdAccount, now), "A user with this userName exists.");
        await membership.ApplyAsync(transaction, caller, userId, active, "scim-deactivated", cancellationToken);
        await outbox.EnqueueAsync(caller.Request.Audit(now, caller.Actor, AuditActions.ScimUserProvisioned, "success", userId, caller.OrgId,
            new Dictionary<string, string> { ["createdAccount"] = createdAccount ? "true" : "false", ["active"] = active ? "true" : "false" }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ScimUserRow(userId, userName, externalId, active, document, 1, now, now, createdAccount);
    }

    public Task<ScimUserRow> ReplaceAsync(ScimCaller caller, string id, JsonObject body, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(caller, id, ifMatch, _ => ScimResourceReader.Read(body, ScimSchemas.Users), cancellationToken);

    public Task<ScimUserRow> PatchAsync(ScimCaller caller, string id, JsonNode? body, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(caller, id, ifMatch, row =>
        {
            var view = (JsonObject)row.Resource.DeepClone();
            view["active"] = row.Active;
            return ScimResourceReader.Read(ScimPatch.Apply(view, body, ScimSchemas.Users), ScimSchemas.Users, requireSchemas: false);
        }, cancellationToken);

    public async Task DeleteAsync(ScimCaller caller, string id, string? ifMatch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await LockAsync(transaction, caller, id, ifMatch, cancellationToken);
        await membership.ApplyAsync(transaction, caller, row.UserId, active: false, "scim-deleted", cancellationToken);
        await ScimMembership.Execute(transaction, "DELETE FROM scim_users WHERE org_id = $1 AND user_id = $2", cancellationToken, caller.OrgId, row.UserId);
        await outbox.EnqueueAsync(caller.Request.Audit(clock.GetUtcNow(), caller.Actor, AuditActions.ScimUserDeleted, "success", row.UserId, caller.OrgId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<ScimUserRow> ChangeAsync(ScimCaller caller, string id, string? ifMatch, Func<ScimUserRow, JsonObject> change, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await LockAsync(transaction, caller, id, ifMatch, cancellationToken);
        var document = change(row);
        var (userName, externalId, active) = Columns(document);
        var email = AccountEmail(document);
        var now = clock.GetUtcNow();
        if (row.CreatedAccount
            && await ScimMembership.Scalar<long>(transaction, "SELECT count(*) FROM memberships WHERE user_id = $1 AND org_id <> $2", cancellationToken, row.UserId, caller.OrgId) == 0)
        {
            await Unique(ScimMembership.Execute(transaction, "UPDATE users SET email = $2, email_normalized = $2 WHERE id = $1 AND email_normalized <> $2",
                cancellationToken, row.UserId, email), "Another account has this address.");
        }

        await Unique(ScimMembership.Execute(transaction,
            """
            UPDATE scim_users SET user_name = $3, user_name_normalized = lower($3), external_id = $4, active = $5, resource = $6::jsonb, version = version + 1, updated_at = $7
             WHERE org_id = $1 AND user_id = $2
            """, cancellationToken, caller.OrgId, row.UserId, userName, externalId, active, document.ToJsonString(), now), "A user with this userName exists.");
        await membership.ApplyAsync(transaction, caller, row.UserId, active, "scim-deactivated", cancellationToken);
        await outbox.EnqueueAsync(caller.Request.Audit(now, caller.Actor, AuditActions.ScimUserUpdated, "success", row.UserId, caller.OrgId,
            new Dictionary<string, string> { ["active"] = active ? "true" : "false" }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return row with { UserName = userName, ExternalId = externalId, Active = active, Resource = document, Version = row.Version + 1, Updated = now };
    }

    /// <summary>The user's row, locked; 404 for an id that is not this organization's, 412 for a stale If-Match, 403 for an Owner.</summary>
    private static async Task<ScimUserRow> LockAsync(NpgsqlTransaction transaction, ScimCaller caller, string id, string? ifMatch, CancellationToken cancellationToken)
    {
        var row = Ids.IsWellFormed(id, "usr_") ? await ScimUserStore.GetAsync(transaction.Connection!, transaction, caller.OrgId, id, cancellationToken, forUpdate: true) : null;
        if (row is null) throw ScimError.NotFound("User", id);
        ETags.Check(ifMatch, row.Version);
        if (await ScimMembership.RoleAsync(transaction, caller.OrgId, row.UserId, cancellationToken) == OrgRoles.Owner) throw OwnerRefusal();
        return row;
    }

    private static ScimError OwnerRefusal() => ScimError.Forbidden("Owners of the organization are not managed through SCIM.");

    private static (string UserName, string? ExternalId, bool Active) Columns(JsonObject document)
    {
        var userName = document["userName"]!.GetValue<string>().Trim();
        if (userName.Length == 0) throw ScimError.InvalidValue("'userName' is required.");
        document["userName"] = userName;
        var externalId = document["externalId"]?.GetValue<string>();
        var active = document["active"] is JsonValue a && a.GetValueKind() is JsonValueKind.False ? false : true;
        document["active"] = active;
        return (userName, externalId, active);
    }

    /// <summary>The account's address: <c>userName</c> when it is one, else the primary (or first) email.</summary>
    private static string AccountEmail(JsonObject document)
    {
        if (EmailAddress.TryNormalize(document["userName"]!.GetValue<string>(), out var fromUserName)) return fromUserName;
        var emails = (document["emails"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var chosen = emails.FirstOrDefault(e => e["primary"] is JsonValue p && p.GetValueKind() == JsonValueKind.True) ?? emails.FirstOrDefault();
        if (chosen?["value"] is JsonValue value && EmailAddress.TryNormalize(value.GetValue<string>(), out var fromEmails)) return fromEmails;
        throw ScimError.InvalidValue("A user needs an email address: as its userName, or among its emails.");
    }

    private static async Task<int> Unique(Task<int> write, string detail)
    {
        try
        {
            return await write;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ScimError.Uniqueness(detail);
        }
    }
}
