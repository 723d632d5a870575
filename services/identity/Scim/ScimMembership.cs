using System.Globalization;
using Npgsql;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Identity.Scim;

/// <summary>
/// What a SCIM user means for the platform: a membership of the token's organization whose role is the strongest
/// one mapped from the user's groups, else the token's default role, and never Owner. An Owner's membership is never
/// changed by SCIM. Deprovisioning (active false, or DELETE) removes the membership and the user's resource grants,
/// tells the keys service to revoke the keys the user created there, and, when the account belongs to no other
/// organization, ends its sessions and revokes its refresh tokens; an account that is also a member elsewhere keeps
/// them (refreshing a token of this organization is refused once the membership is gone).
/// </summary>
internal sealed class ScimMembership(IOutbox outbox, TimeProvider clock)
{
    public static async Task<string?> RoleAsync(NpgsqlTransaction transaction, string orgId, string userId, CancellationToken cancellationToken, bool forUpdate = false)
    {
        await using var command = new NpgsqlCommand(
            "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2" + (forUpdate ? " FOR UPDATE" : ""), transaction.Connection, transaction);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The strongest role mapped from the user's groups (by id or lower-cased display name), else the default role.</summary>
    public static async Task<string> DesiredRoleAsync(NpgsqlTransaction transaction, string orgId, string userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT false, r.role FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
              JOIN scim_role_mappings r ON r.org_id = m.org_id AND (r.group_ref = g.id OR r.group_ref = g.display_name_normalized)
             WHERE m.org_id = $1 AND m.user_id = $2
            UNION ALL
            SELECT true, default_role FROM scim_tokens WHERE org_id = $1
            """, transaction.Connection, transaction);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userId);
        var mapped = new List<string>();
        string? fallback = null;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetBoolean(0)) fallback = reader.GetString(1);
                else mapped.Add(reader.GetString(1));
            }
        }

        var best = mapped.Where(r => r != OrgRoles.Owner).OrderBy(r => OrgRoles.All.ToList().IndexOf(r)).FirstOrDefault();
        return best ?? (fallback is null or OrgRoles.Owner ? OrgRoles.Viewer : fallback);
    }

    /// <summary>Brings the membership in line with the SCIM user's state: joined, role changed, or deprovisioned.</summary>
    public async Task ApplyAsync(NpgsqlTransaction transaction, ScimCaller caller, string userId, bool active, string reason, CancellationToken cancellationToken)
    {
        var current = await RoleAsync(transaction, caller.OrgId, userId, cancellationToken, forUpdate: true);
        if (current == OrgRoles.Owner) return;
        var now = clock.GetUtcNow();
        if (active)
        {
            var desired = await DesiredRoleAsync(transaction, caller.OrgId, userId, cancellationToken);
            if (current == desired) return;
            if (current is null)
            {
                await Execute(transaction, "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)", cancellationToken, caller.OrgId, userId, desired, now);
                await outbox.EnqueueAsync(caller.Request.Audit(now, caller.Actor, AuditActions.MemberJoined, "success", userId, caller.OrgId,
                    new Dictionary<string, string> { ["role"] = desired, ["via"] = "scim" }), transaction, cancellationToken);
            }
            else
            {
                await Execute(transaction, "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2", cancellationToken, caller.OrgId, userId, desired);
                await outbox.EnqueueAsync(caller.Request.Audit(now, caller.Actor, AuditActions.RoleChanged, "success", userId, caller.OrgId,
                    new Dictionary<string, string> { ["from"] = current, ["to"] = desired, ["via"] = "scim" }), transaction, cancellationToken);
            }

            return;
        }

        if (current is null) return;
        await DeprovisionAsync(transaction, caller, userId, current, reason, now, cancellationToken);
    }

    private async Task DeprovisionAsync(NpgsqlTransaction transaction, ScimCaller caller, string userId, string role, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await Execute(transaction, "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", cancellationToken, caller.OrgId, userId);
        await Execute(transaction, "DELETE FROM resource_grants WHERE org_id = $1 AND user_id = $2", cancellationToken, caller.OrgId, userId);
        int sessions = 0, authorizations = 0, tokens = 0;
        var elsewhere = await Scalar<long>(transaction, "SELECT count(*) FROM memberships WHERE user_id = $1", cancellationToken, userId);
        if (elsewhere == 0)
        {
            sessions = await Execute(transaction, "DELETE FROM sessions WHERE user_id = $1", cancellationToken, userId);
            await Execute(transaction, "UPDATE users SET session_generation = session_generation + 1 WHERE id = $1", cancellationToken, userId);
            authorizations = await Execute(transaction,
                """UPDATE oidc."OpenIddictAuthorizations" SET "Status" = 'revoked', "ConcurrencyToken" = gen_random_uuid()::text WHERE "Subject" = $1 AND "Status" = 'valid'""",
                cancellationToken, userId);
            tokens = await Execute(transaction,
                """UPDATE oidc."OpenIddictTokens" SET "Status" = 'revoked', "ConcurrencyToken" = gen_random_uuid()::text WHERE "Subject" = $1 AND "Status" IN ('valid', 'inactive')""",
                cancellationToken, userId);
        }

        await outbox.EnqueueAsync(
            [
                caller.Request.Audit(now, caller.Actor, AuditActions.MemberRemoved, "success", userId, caller.OrgId,
                    new Dictionary<string, string> { ["role"] = role, ["via"] = "scim" }),
                caller.Request.Audit(now, caller.Actor, AuditActions.ScimUserDeprovisioned, "success", userId, caller.OrgId, new Dictionary<string, string>
                {
                    ["reason"] = reason,
                    ["sessions"] = sessions.ToString(CultureInfo.InvariantCulture),
                    ["authorizations"] = authorizations.ToString(CultureInfo.InvariantCulture),
                    ["tokens"] = tokens.ToString(CultureInfo.InvariantCulture),
                    ["otherMemberships"] = elsewhere.ToString(CultureInfo.InvariantCulture),
                }),
                new MemberDeprovisioned { UserId = userId, Reason = reason, OrganizationId = caller.OrgId, OccurredAt = now },
            ], transaction, cancellationToken);
    }

    public static async Task<int> Execute(NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        foreach (var value in values) command.Parameters.AddWithValue(value ?? DBNull.Value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<T?> Scalar<T>(NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        foreach (var value in values) command.Parameters.AddWithValue(value ?? DBNull.Value);
        var result = await command.ExecuteScalarAsync(cancellationToken);
        return result is T typed ? typed : default;
    }
}
