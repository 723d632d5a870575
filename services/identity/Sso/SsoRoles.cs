using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Messaging;

namespace Platform.Identity.Sso;

/// <summary>
/// A connection's IdP groups → organization roles (issue 18 item 2): at just-in-time provisioning and at each sign-in,
/// the strongest role any of the user's mapped groups gives, else the connection's default role. Never Owner: a
/// mapping cannot name it, and an Owner's own membership is never changed by an IdP.
/// </summary>
internal static class SsoRoles
{
    public const int MaxMappings = 100;

    public static string FromGroups(IReadOnlyDictionary<string, string> mappings, IReadOnlyList<string> groups, string defaultRole)
    {
        if (mappings.Count == 0) return defaultRole;
        var best = groups.Where(mappings.ContainsKey).Select(g => mappings[g]).Where(r => r != OrgRoles.Owner && OrgRoles.IsValid(r))
            .OrderBy(r => OrgRoles.All.ToList().IndexOf(r)).FirstOrDefault();
        return best ?? defaultRole;
    }

    /// <summary>Why a set of mappings cannot be stored, or null.</summary>
    public static string? Validate(string? groupsClaim, IReadOnlyList<(string? Group, string? Role)>? mappings)
    {
        if (groupsClaim is not null && (groupsClaim.Length is 0 or > 100 || groupsClaim.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))) return "groupsClaim must be 1 to 100 characters without spaces.";
        if (mappings is null) return "mappings is required (an empty list removes them).";
        if (mappings.Count > MaxMappings) return $"At most {MaxMappings} mappings.";
        foreach (var (group, role) in mappings)
        {
            if (group is not { Length: > 0 and <= SsoClaims.MaxGroupLength } || group.Any(char.IsControl)) return "Each group must be 1 to 256 characters.";
            if (!OrgRoles.IsValid(role) || role == OrgRoles.Owner) return "A group maps to Admin, Developer, Viewer or Auditor (never Owner).";
        }

        return mappings.Select(m => m.Group).Distinct(StringComparer.Ordinal).Count() == mappings.Count ? null : "Each group may be mapped once.";
    }

    /// <summary>Brings an existing member's role to what their groups give (an Owner is left alone), audited as a role change by SSO.</summary>
    public static async Task ApplyAsync(NpgsqlTransaction transaction, IOutbox outbox, RequestInfo request, DateTimeOffset now, string orgId, string userId, string role,
        string connectionId, CancellationToken cancellationToken)
    {
        string? current;
        await using (var read = new NpgsqlCommand("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2 FOR UPDATE", transaction.Connection, transaction))
        {
            read.Parameters.AddWithValue(orgId);
            read.Parameters.AddWithValue(userId);
            current = (string?)await read.ExecuteScalarAsync(cancellationToken);
        }

        if (current is null || current == OrgRoles.Owner || current == role) return;
        await using (var update = new NpgsqlCommand("UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2", transaction.Connection, transaction))
        {
            update.Parameters.AddWithValue(orgId);
            update.Parameters.AddWithValue(userId);
            update.Parameters.AddWithValue(role);
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.RoleChanged, "success", userId, orgId,
            new Dictionary<string, string> { ["from"] = current, ["to"] = role, ["via"] = "sso", ["connection_id"] = connectionId }), transaction, cancellationToken);
    }
}
