using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Mail;
using Platform.Identity.Model;
using Platform.Messaging;
using Microsoft.Extensions.Options;

namespace Platform.Identity.Organizations;

/// <summary>
/// Organizations, members, invitations and resource grants (ID-ORG). Changes that could leave an organization
/// without an Owner lock the organization's membership rows first, so two concurrent demotions cannot both pass.
/// </summary>
internal sealed class OrganizationService(NpgsqlDataSource dataSource, MailOutbox mail, IOutbox outbox, TimeProvider clock, IOptions<IdentityOptions> options)
{
    public async Task<Organization> CreateAsync(string userId, string name, RequestInfo request, CancellationToken cancellationToken)
    {
        var id = Ids.NewOrganization();
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(transaction, "INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)", cancellationToken, id, name, now);
        await Execute(transaction, "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)", cancellationToken, id, userId, OrgRoles.Owner, now);
        await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.OrganizationCreated, "success", id, id), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Organization(id, name, false, OrgRoles.Owner);
    }

    public async Task<IReadOnlyList<Organization>> ListForUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o.id, o.name, o.require_mfa, m.role FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = $1 ORDER BY m.created_at, o.id");
        command.Parameters.AddWithValue(userId);
        var list = new List<Organization>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) list.Add(new Organization(reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetString(3)));
        return list;
    }

    public async Task<string?> RoleOfAsync(string orgId, string userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<IReadOnlyList<Member>> MembersAsync(string orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT u.id, u.email, m.role, u.totp_secret IS NOT NULL FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at, u.id");
        command.Parameters.AddWithValue(orgId);
        var list = new List<Member>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) list.Add(new Member(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3)));
        return list;
    }

    public async Task<(OrgOutcome Outcome, string? InvitationId)> InviteAsync(string orgId, string actorId, string actorRole, string normalizedEmail, string role, RequestInfo request, CancellationToken cancellationToken)
    {
        if (role == OrgRoles.Owner && actorRole != OrgRoles.Owner) return (OrgOutcome.Forbidden, null);
        var id = Ids.NewInvitation();
        var token = SecretTokens.New();
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(transaction,
            "INSERT INTO invitations (id, org_id, email_normalized, role, token_hash, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            cancellationToken, id, orgId, normalizedEmail, role, SecretTokens.Hash(token), actorId, now, now + options.Value.Tokens.InvitationLifetime);
        await mail.EnqueueAsync(transaction, normalizedEmail, "You are invited to an organization on Platform",
            $"""
            You were invited to join an organization on Platform as {role}.

            To accept, open {new Uri(new Uri(options.Value.Issuer), "invitations/accept")}, sign in with this address (or sign up
            with it first at {new Uri(new Uri(options.Value.Issuer), "signup")}) and enter this code:

            {token}

            The invitation expires in {options.Value.Tokens.InvitationLifetime.TotalDays:0} days.
            """, cancellationToken);
        await outbox.EnqueueAsync(request.Audit(now, actorId, AuditActions.MemberInvited, "success", id, orgId,
            new Dictionary<string, string> { ["role"] = role }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (OrgOutcome.Done, id);
    }

    /// <summary>The organization's invitations that can still be accepted (not accepted, not expired), newest first.</summary>
    public async Task<IReadOnlyList<PendingInvitation>> PendingInvitationsAsync(string orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT i.id, i.email_normalized, i.role, i.invited_by, u.email, i.created_at, i.expires_at
              FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
             WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.expires_at > $2
             ORDER BY i.created_at DESC, i.id
            """);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        var list = new List<PendingInvitation>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new PendingInvitation(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }

        return list;
    }

    /// <summary>
    /// Withdraws a pending invitation of this organization: the row goes, so its code no longer matches anything (an
    /// accept answers "no such invitation"). Another organization's invitation, an accepted or an expired one are all
    /// "not found". Only an Owner withdraws an invitation to be Owner, as only an Owner can send one.
    /// </summary>
    public async Task<OrgOutcome> WithdrawInvitationAsync(string orgId, string actorId, string actorRole, string invitationId, RequestInfo request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string role;
        await using (var find = new NpgsqlCommand(
            "SELECT role FROM invitations WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL AND expires_at > $3 FOR UPDATE",
            connection, transaction))
        {
            find.Parameters.AddWithValue(invitationId);
            find.Parameters.AddWithValue(orgId);
            find.Parameters.AddWithValue(now);
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return OrgOutcome.NotFound;
            role = reader.GetString(0);
        }

        if (role == OrgRoles.Owner && actorRole != OrgRoles.Owner) return OrgOutcome.Forbidden;
        await Execute(transaction, "DELETE FROM invitations WHERE id = $1 AND org_id = $2", cancellationToken, invitationId, orgId);
        await outbox.EnqueueAsync(request.Audit(now, actorId, AuditActions.InvitationWithdrawn, "success", invitationId, orgId,
            new Dictionary<string, string> { ["role"] = role }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OrgOutcome.Done;
    }

    /// <summary>Accepts an invitation addressed to the caller's own (verified) email address.</summary>
    public async Task<(OrgOutcome Outcome, string? OrgId)> AcceptAsync(string userId, string normalizedEmail, string? token, RequestInfo request, CancellationToken cancellationToken)
    {
        if (!SecretTokens.IsWellFormed(token)) return (OrgOutcome.NotFound, null);
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string orgId, role;
        await using (var use = new NpgsqlCommand(
            "UPDATE invitations SET accepted_at = $3 WHERE token_hash = $1 AND email_normalized = $2 AND accepted_at IS NULL AND expires_at > $3 RETURNING org_id, role",
            connection, transaction))
        {
            use.Parameters.AddWithValue(SecretTokens.Hash(token!));
            use.Parameters.AddWithValue(normalizedEmail);
            use.Parameters.AddWithValue(now);
            await using var reader = await use.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return (OrgOutcome.NotFound, null);
            (orgId, role) = (reader.GetString(0), reader.GetString(1));
        }

        var added = await Execute(transaction,
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", cancellationToken, orgId, userId, role, now);
        if (added == 0) return (OrgOutcome.Conflict, orgId);
        await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.MemberJoined, "success", userId, orgId,
            new Dictionary<string, string> { ["role"] = role }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (OrgOutcome.Done, orgId);
    }

    public async Task<OrgOutcome> ChangeRoleAsync(string orgId, string actorId, string actorRole, string targetUserId, string role, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var roles = await LockMembersAsync(transaction, orgId, cancellationToken);
        if (!roles.TryGetValue(targetUserId, out var current)) return OrgOutcome.NotFound;
        // Admins manage Developers, Viewers and Auditors; only Owners touch Owners or make new ones.
        if (actorRole != OrgRoles.Owner && (current == OrgRoles.Owner || role == OrgRoles.Owner)) return OrgOutcome.Forbidden;
        if (current == OrgRoles.Owner && role != OrgRoles.Owner && roles.Values.Count(r => r == OrgRoles.Owner) == 1) return OrgOutcome.LastOwner;
        if (current == role) return OrgOutcome.Done;
        await Execute(transaction, "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2", cancellationToken, orgId, targetUserId, role);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actorId, AuditActions.RoleChanged, "success", targetUserId, orgId,
            new Dictionary<string, string> { ["from"] = current, ["to"] = role }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OrgOutcome.Done;
    }

    public async Task<OrgOutcome> RemoveAsync(string orgId, string actorId, string actorRole, string targetUserId, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var roles = await LockMembersAsync(transaction, orgId, cancellationToken);
        if (!roles.TryGetValue(targetUserId, out var current)) return OrgOutcome.NotFound;
        if (targetUserId != actorId && actorRole != OrgRoles.Owner && current == OrgRoles.Owner) return OrgOutcome.Forbidden;
        if (current == OrgRoles.Owner && roles.Values.Count(r => r == OrgRoles.Owner) == 1) return OrgOutcome.LastOwner;
        await Execute(transaction, "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", cancellationToken, orgId, targetUserId);
        await Execute(transaction, "DELETE FROM resource_grants WHERE org_id = $1 AND user_id = $2", cancellationToken, orgId, targetUserId);
        var now = clock.GetUtcNow();
        var left = targetUserId == actorId;
        // The member's API keys in this organization go with the membership (issue 18 item 5): keys revokes them on
        // this event, as it does for SCIM deprovisioning. Published in the removal's transaction, and as mandatory
        // (MemberDeprovisioned.MustBeRouted), so it waits in the outbox until keys' queue exists instead of being dropped.
        await outbox.EnqueueAsync(
            [
                request.Audit(now, actorId, AuditActions.MemberRemoved, "success", targetUserId, orgId,
                    new Dictionary<string, string> { ["role"] = current, ["left"] = left.ToString() }),
                new Messaging.Contracts.MemberDeprovisioned { UserId = targetUserId, Reason = left ? "member-left" : "member-removed", OrganizationId = orgId, OccurredAt = now },
            ], transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OrgOutcome.Done;
    }

    public async Task SetRequireMfaAsync(string orgId, string actorId, bool requireMfa, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(transaction, "UPDATE organizations SET require_mfa = $2 WHERE id = $1", cancellationToken, orgId, requireMfa);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actorId, AuditActions.OrganizationSettingsChanged, "success", orgId, orgId,
            new Dictionary<string, string> { ["requireMfa"] = requireMfa.ToString() }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Explicit resource grant to a member; a grant on the same resource replaces the previous one.</summary>
    public async Task<OrgOutcome> GrantAsync(string orgId, string actorId, string type, string resourceId, string userId, string role, RequestInfo request, CancellationToken cancellationToken)
    {
        if (await RoleOfAsync(orgId, userId, cancellationToken) is null) return OrgOutcome.NotFound;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Execute(transaction,
            """
            INSERT INTO resource_grants (org_id, resource_type, resource_id, user_id, role, granted_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (org_id, resource_type, resource_id, user_id) DO UPDATE SET role = EXCLUDED.role, granted_by = EXCLUDED.granted_by, created_at = EXCLUDED.created_at
            """, cancellationToken, orgId, type, resourceId, userId, role, actorId, clock.GetUtcNow());
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actorId, AuditActions.ResourceGranted, "success", $"{type}:{resourceId}", orgId,
            new Dictionary<string, string> { ["user"] = userId, ["role"] = role }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OrgOutcome.Done;
    }

    public async Task<OrgOutcome> RevokeGrantAsync(string orgId, string actorId, string type, string resourceId, string userId, RequestInfo request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await Execute(transaction,
            "DELETE FROM resource_grants WHERE org_id = $1 AND resource_type = $2 AND resource_id = $3 AND user_id = $4", cancellationToken, orgId, type, resourceId, userId);
        if (removed == 0) return OrgOutcome.NotFound;
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), actorId, AuditActions.ResourceRevoked, "success", $"{type}:{resourceId}", orgId,
            new Dictionary<string, string> { ["user"] = userId }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return OrgOutcome.Done;
    }

    /// <summary>
    /// Who can reach a resource and through what: organization Owners and Admins hold Owner on every resource of their
    /// organization; everyone else only through an explicit grant. Each user's strongest role is the effective one.
    /// </summary>
    public async Task<IReadOnlyList<ResourceAccess>> AccessAsync(string orgId, string type, string resourceId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT u.id, u.email, 'organization-role' AS kind, m.role AS via, 'Owner' AS role
              FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = $1 AND m.role IN ('Owner', 'Admin')
            UNION ALL
            SELECT u.id, u.email, 'grant', g.role, g.role
              FROM resource_grants g JOIN users u ON u.id = g.user_id
             WHERE g.org_id = $1 AND g.resource_type = $2 AND g.resource_id = $3
            """);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(type);
        command.Parameters.AddWithValue(resourceId);
        var rows = new List<(string UserId, string Email, string Kind, string Via, string Role)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        }

        return rows.GroupBy(r => r.UserId).Select(g => new ResourceAccess(
                g.Key,
                g.First().Email,
                g.Select(r => r.Role).OrderBy(r => ResourceRoles.All.ToList().IndexOf(r)).First(),
                g.Select(r => new AccessPath(r.Kind, r.Via)).ToList()))
            .OrderBy(a => a.Email, StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<Dictionary<string, string>> LockMembersAsync(NpgsqlTransaction transaction, string orgId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT user_id, role FROM memberships WHERE org_id = $1 FOR UPDATE", transaction.Connection, transaction);
        command.Parameters.AddWithValue(orgId);
        var roles = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) roles[reader.GetString(0)] = reader.GetString(1);
        return roles;
    }

    private static async Task<int> Execute(NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, transaction.Connection, transaction);
        foreach (var value in values) command.Parameters.AddWithValue(value);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
