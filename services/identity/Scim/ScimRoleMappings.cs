using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Messaging;

namespace Platform.Identity.Scim;

public sealed record ScimRoleMapping(string Group, string Role);

/// <summary>
/// The Owner's mapping of SCIM groups (by id or display name, case-insensitively) to organization roles; never
/// Owner. Replacing the mappings gives every active SCIM user of the organization the role they now map to.
/// </summary>
internal sealed class ScimRoleMappings(NpgsqlDataSource dataSource, ScimMembership membership, IOutbox outbox, TimeProvider clock)
{
    public const int MaxMappings = 100;

    public static string? Validate(IReadOnlyList<ScimRoleMapping>? mappings)
    {
        if (mappings is null) return "mappings is required.";
        if (mappings.Count > MaxMappings) return $"At most {MaxMappings} mappings.";
        foreach (var mapping in mappings)
        {
            if (mapping.Group is not { Length: > 0 and <= 256 } || string.IsNullOrWhiteSpace(mapping.Group) || mapping.Group.Any(char.IsControl))
            {
                return "Each group must be 1 to 256 characters, without control characters.";
            }

            if (!OrgRoles.IsValid(mapping.Role) || mapping.Role == OrgRoles.Owner) return "A group maps to Admin, Developer, Viewer or Auditor; never Owner.";
        }

        return mappings.Select(m => m.Group.Trim().ToLowerInvariant()).Distinct().Count() == mappings.Count ? null : "Each group is mapped once.";
    }

    public async Task<IReadOnlyList<ScimRoleMapping>> ListAsync(string orgId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT group_ref, role FROM scim_role_mappings WHERE org_id = $1 ORDER BY group_ref");
        command.Parameters.AddWithValue(orgId);
        var list = new List<ScimRoleMapping>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) list.Add(new ScimRoleMapping(reader.GetString(0), reader.GetString(1)));
        return list;
    }

    public async Task ReplaceAsync(string orgId, string actorId, IReadOnlyList<ScimRoleMapping> mappings, RequestInfo request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ScimMembership.Execute(transaction, "DELETE FROM scim_role_mappings WHERE org_id = $1", cancellationToken, orgId);
        foreach (var mapping in mappings)
        {
            await ScimMembership.Execute(transaction, "INSERT INTO scim_role_mappings (org_id, group_ref, role) VALUES ($1, $2, $3)", cancellationToken,
                orgId, mapping.Group.Trim().ToLowerInvariant(), mapping.Role);
        }

        var caller = new ScimCaller(orgId, actorId, request);
        var users = new List<string>();
        await using (var active = new NpgsqlCommand("SELECT user_id FROM scim_users WHERE org_id = $1 AND active ORDER BY user_id", connection, transaction))
        {
            active.Parameters.AddWithValue(orgId);
            await using var reader = await active.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) users.Add(reader.GetString(0));
        }

        foreach (var userId in users) await membership.ApplyAsync(transaction, caller, userId, active: true, "scim-deactivated", cancellationToken);
        await outbox.EnqueueAsync(request.Audit(now, actorId, AuditActions.ScimRoleMappingsChanged, "success", orgId, orgId,
            new Dictionary<string, string> { ["mappings"] = string.Join(", ", mappings.Select(m => $"{m.Group.Trim()}={m.Role}")) }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}
