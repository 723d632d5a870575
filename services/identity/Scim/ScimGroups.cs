using System.Text.Json.Nodes;
using Npgsql;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Identity.Scim.Filters;
using Platform.Messaging;

namespace Platform.Identity.Scim;

/// <summary>
/// Groups (RFC 7643 section 4.2) of the token's organization. Members are this organization's SCIM users only (any
/// other id is <c>invalidValue</c>); a change of membership gives the members concerned the role their groups now map
/// to (<see cref="ScimMembership"/>). Display names are unique per organization, case-insensitively.
/// </summary>
internal sealed class ScimGroups(NpgsqlDataSource dataSource, ScimMembership membership, IOutbox outbox, TimeProvider clock)
{
    public static string NewId() => "grp_" + Guid.CreateVersion7().ToString("N");

    public async Task<ScimGroupRow> CreateAsync(ScimCaller caller, JsonObject body, CancellationToken cancellationToken)
    {
        var (displayName, externalId, members) = Read(ScimResourceReader.Read(body, ScimSchemas.Groups));
        var id = NewId();
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Unique(ScimMembership.Execute(transaction,
            "INSERT INTO scim_groups (id, org_id, display_name, display_name_normalized, external_id, version, created_at, updated_at) VALUES ($1, $2, $3, lower($3), $4, 1, $5, $5)",
            cancellationToken, id, caller.OrgId, displayName, externalId, now));
        await SetMembersAsync(transaction, caller, id, [], members, cancellationToken);
        await outbox.EnqueueAsync(caller.Request.Audit(now, caller.Actor, AuditActions.ScimGroupCreated, "success", id, caller.OrgId,
            new Dictionary<string, string> { ["displayName"] = displayName }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ScimGroupRow(id, displayName, externalId, 1, now, now, members);
    }

    public Task<ScimGroupRow> ReplaceAsync(ScimCaller caller, string id, JsonObject body, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(caller, id, ifMatch, _ => ScimResourceReader.Read(body, ScimSchemas.Groups), cancellationToken);

    public Task<ScimGroupRow> PatchAsync(ScimCaller caller, string id, JsonNode? body, string? ifMatch, CancellationToken cancellationToken) =>
        ChangeAsync(caller, id, ifMatch, row =>
        {
            var view = new JsonObject { ["displayName"] = row.DisplayName };
            if (row.ExternalId is not null) view["externalId"] = row.ExternalId;
            if (row.Members.Count > 0) view["members"] = new JsonArray(row.Members.Select(m => (JsonNode)new JsonObject { ["value"] = m }).ToArray());
            return ScimResourceReader.Read(ScimPatch.Apply(view, body, ScimSchemas.Groups), ScimSchemas.Groups, requireSchemas: false);
        }, cancellationToken);

    public async Task DeleteAsync(ScimCaller caller, string id, string? ifMatch, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await LockAsync(transaction, caller.OrgId, id, ifMatch, cancellationToken);
        await SetMembersAsync(transaction, caller, row.Id, row.Members, [], cancellationToken);
        await ScimMembership.Execute(transaction, "DELETE FROM scim_groups WHERE id = $1 AND org_id = $2", cancellationToken, row.Id, caller.OrgId);
        await outbox.EnqueueAsync(caller.Request.Audit(clock.GetUtcNow(), caller.Actor, AuditActions.ScimGroupDeleted, "success", row.Id, caller.OrgId), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<ScimGroupRow?> GetAsync(string orgId, string id, CancellationToken cancellationToken)
    {
        if (!Ids.IsWellFormed(id, "grp_")) return null;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, orgId, id, cancellationToken);
    }

    public async Task<ScimPage<ScimGroupRow>> ListAsync(string orgId, ScimFilter? filter, int startIndex, int count, CancellationToken cancellationToken, ScimSort? sort = null)
    {
        var parameters = new List<object> { orgId };
        var compiler = new SqlFilterCompiler(ScimSchemas.Groups, ScimQueries.Group, parameters);
        var where = filter is null ? "" : " AND " + compiler.Compile(filter);
        var order = sort is null ? "" : sort.OrderBy(compiler.SortExpression(sort.Path)) + ", ";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        long total;
        await using (var counting = new NpgsqlCommand($"SELECT count(*) FROM scim_groups g WHERE g.org_id = $1{where}", connection))
        {
            ScimUserStore.Bind(counting, parameters);
            total = (long)(await counting.ExecuteScalarAsync(cancellationToken))!;
        }

        var rows = new List<ScimGroupRow>();
        if (count > 0 && total >= startIndex)
        {
            parameters.Add(count);
            parameters.Add(startIndex - 1);
            await using var command = new NpgsqlCommand(
                $"""
                SELECT g.id, g.display_name, g.external_id, g.version, g.created_at, g.updated_at,
                       ARRAY(SELECT m.user_id FROM scim_group_members m WHERE m.group_id = g.id ORDER BY m.user_id)
                  FROM scim_groups g WHERE g.org_id = $1{where} ORDER BY {order}g.created_at {ScimSort.Direction(sort)}, g.id {ScimSort.Direction(sort)} LIMIT ${parameters.Count - 1} OFFSET ${parameters.Count}
                """, connection);
            ScimUserStore.Bind(command, parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) rows.Add(ReadRow(reader));
        }

        return new ScimPage<ScimGroupRow>(total, startIndex, rows);
    }

    /// <summary>Display names of the given users (their <c>displayName</c>, else <c>userName</c>), for the members' <c>display</c>.</summary>
    public async Task<IReadOnlyDictionary<string, string>> DisplayNamesAsync(string orgId, IEnumerable<string> userIds, CancellationToken cancellationToken)
    {
        var ids = userIds.Distinct().ToArray();
        if (ids.Length == 0) return new Dictionary<string, string>();
        await using var command = dataSource.CreateCommand(
            "SELECT user_id, COALESCE(resource ->> 'displayName', user_name) FROM scim_users WHERE org_id = $1 AND user_id = ANY($2)");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(ids);
        var names = new Dictionary<string, string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names[reader.GetString(0)] = reader.GetString(1);
        return names;
    }

    private async Task<ScimGroupRow> ChangeAsync(ScimCaller caller, string id, string? ifMatch, Func<ScimGroupRow, JsonObject> change, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await LockAsync(transaction, caller.OrgId, id, ifMatch, cancellationToken);
        var (displayName, externalId, members) = Read(change(row));
        var now = clock.GetUtcNow();
        await Unique(ScimMembership.Execute(transaction,
            "UPDATE scim_groups SET display_name = $3, display_name_normalized = lower($3), external_id = $4, version = version + 1, updated_at = $5 WHERE id = $1 AND org_id = $2",
            cancellationToken, row.Id, caller.OrgId, displayName, externalId, now));
        // A rename can change which role mapping applies to every member.
        var renamed = !displayName.Equals(row.DisplayName, StringComparison.OrdinalIgnoreCase);
        await SetMembersAsync(transaction, caller, row.Id, row.Members, members, cancellationToken, renamed ? row.Members : null);
        await outbox.EnqueueAsync(caller.Request.Audit(now, caller.Actor, AuditActions.ScimGroupUpdated, "success", row.Id, caller.OrgId,
            new Dictionary<string, string> { ["displayName"] = displayName, ["members"] = members.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ScimGroupRow(row.Id, displayName, externalId, row.Version + 1, row.Created, now, members);
    }

    /// <summary>Adds and removes members, then brings the roles of everyone concerned in line.</summary>
    private async Task SetMembersAsync(NpgsqlTransaction transaction, ScimCaller caller, string groupId, IReadOnlyList<string> before, IReadOnlyList<string> after,
        CancellationToken cancellationToken, IReadOnlyList<string>? alsoRecompute = null)
    {
        var added = after.Except(before).ToArray();
        var removed = before.Except(after).ToArray();
        if (added.Length > 0)
        {
            var known = await ScimMembership.Scalar<long>(transaction, "SELECT count(*) FROM scim_users WHERE org_id = $1 AND user_id = ANY($2)", cancellationToken, caller.OrgId, added);
            if (known != added.Length) throw ScimError.InvalidValue("A member is not a user of this organization.");
            await ScimMembership.Execute(transaction,
                "INSERT INTO scim_group_members (group_id, org_id, user_id) SELECT $1, $2, unnest($3::text[]) ON CONFLICT DO NOTHING", cancellationToken, groupId, caller.OrgId, added);
        }

        if (removed.Length > 0)
        {
            await ScimMembership.Execute(transaction, "DELETE FROM scim_group_members WHERE group_id = $1 AND user_id = ANY($2)", cancellationToken, groupId, removed);
        }

        foreach (var userId in added.Concat(removed).Concat(alsoRecompute ?? []).Distinct().Order(StringComparer.Ordinal))
        {
            var active = await ScimMembership.Scalar<bool>(transaction, "SELECT active FROM scim_users WHERE org_id = $1 AND user_id = $2", cancellationToken, caller.OrgId, userId);
            if (active) await membership.ApplyAsync(transaction, caller, userId, active: true, "scim-deactivated", cancellationToken);
        }
    }

    private static async Task<ScimGroupRow> LockAsync(NpgsqlTransaction transaction, string orgId, string id, string? ifMatch, CancellationToken cancellationToken)
    {
        var row = Ids.IsWellFormed(id, "grp_") ? await GetAsync(transaction.Connection!, transaction, orgId, id, cancellationToken, forUpdate: true) : null;
        if (row is null) throw ScimError.NotFound("Group", id);
        ETags.Check(ifMatch, row.Version);
        return row;
    }

    private static async Task<ScimGroupRow?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string orgId, string id, CancellationToken cancellationToken,
        bool forUpdate = false)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT g.id, g.display_name, g.external_id, g.version, g.created_at, g.updated_at,
                   ARRAY(SELECT m.user_id FROM scim_group_members m WHERE m.group_id = g.id ORDER BY m.user_id)
              FROM scim_groups g WHERE g.id = $1 AND g.org_id = $2
            """ + (forUpdate ? " FOR UPDATE OF g" : ""), connection, transaction);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(orgId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRow(reader) : null;
    }

    private static ScimGroupRow ReadRow(NpgsqlDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.GetInt64(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<string[]>(6));

    private static (string DisplayName, string? ExternalId, IReadOnlyList<string> Members) Read(JsonObject document)
    {
        var displayName = document["displayName"]!.GetValue<string>().Trim();
        if (displayName.Length is 0 or > 256) throw ScimError.InvalidValue("'displayName' must be 1 to 256 characters.");
        var members = new List<string>();
        foreach (var member in document["members"] as JsonArray ?? [])
        {
            if (member?["value"] is not JsonValue value || !Ids.IsWellFormed(value.GetValue<string>(), "usr_"))
            {
                throw ScimError.InvalidValue("Each member needs the 'value' of a user of this organization.");
            }

            if (member["type"] is JsonValue type && !type.GetValue<string>().Equals("User", StringComparison.OrdinalIgnoreCase))
            {
                throw ScimError.InvalidValue("Members are users: nested groups are not supported.");
            }

            members.Add(value.GetValue<string>());
        }

        return (displayName, document["externalId"]?.GetValue<string>(), members.Distinct().ToList());
    }

    private static async Task Unique(Task<int> write)
    {
        try
        {
            await write;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw ScimError.Uniqueness("A group with this displayName exists.");
        }
    }
}
