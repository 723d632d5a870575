using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using Platform.Identity.Scim.Filters;

namespace Platform.Identity.Scim;

/// <summary>Reads of <c>scim_users</c>, always within one organization.</summary>
internal sealed class ScimUserStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "u.user_id, u.user_name, u.external_id, u.active, u.resource::text, u.version, u.created_at, u.updated_at, u.created_account";

    public static async Task<ScimUserRow?> GetAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string orgId, string userId, CancellationToken cancellationToken, bool forUpdate = false)
    {
        await using var command = new NpgsqlCommand($"SELECT {Columns} FROM scim_users u WHERE u.org_id = $1 AND u.user_id = $2" + (forUpdate ? " FOR UPDATE" : ""),
            connection, transaction);
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async Task<ScimUserRow?> GetAsync(string orgId, string userId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await GetAsync(connection, null, orgId, userId, cancellationToken);
    }

    public async Task<ScimPage<ScimUserRow>> ListAsync(string orgId, ScimFilter? filter, int startIndex, int count, CancellationToken cancellationToken, ScimSort? sort = null)
    {
        var parameters = new List<object> { orgId };
        var compiler = new SqlFilterCompiler(ScimSchemas.Users, ScimQueries.User, parameters);
        var where = filter is null ? "" : " AND " + compiler.Compile(filter);
        var order = sort is null ? "" : sort.OrderBy(compiler.SortExpression(sort.Path)) + ", ";
        var rows = new List<ScimUserRow>();
        long total;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var counting = new NpgsqlCommand($"SELECT count(*) FROM scim_users u WHERE u.org_id = $1{where}", connection))
        {
            Bind(counting, parameters);
            total = (long)(await counting.ExecuteScalarAsync(cancellationToken))!;
        }

        if (count > 0 && total >= startIndex)
        {
            parameters.Add(count);
            parameters.Add(startIndex - 1);
            await using var command = new NpgsqlCommand(
                $"SELECT {Columns} FROM scim_users u WHERE u.org_id = $1{where} ORDER BY {order}u.created_at {ScimSort.Direction(sort)}, u.user_id {ScimSort.Direction(sort)} LIMIT ${parameters.Count - 1} OFFSET ${parameters.Count}",
                connection);
            Bind(command, parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) rows.Add(Read(reader));
        }

        return new ScimPage<ScimUserRow>(total, startIndex, rows);
    }

    /// <summary>The groups of the given users: (user id, group id, group display name).</summary>
    public async Task<ILookup<string, (string Id, string Display)>> GroupsOfAsync(string orgId, IReadOnlyList<string> userIds, CancellationToken cancellationToken)
    {
        if (userIds.Count == 0) return Array.Empty<(string, string, string)>().ToLookup(t => t.Item1, t => (t.Item2, t.Item3));
        await using var command = dataSource.CreateCommand(
            "SELECT m.user_id, g.id, g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id WHERE m.org_id = $1 AND m.user_id = ANY($2) ORDER BY g.display_name_normalized");
        command.Parameters.AddWithValue(orgId);
        command.Parameters.AddWithValue(userIds.ToArray());
        var list = new List<(string User, string Id, string Display)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) list.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return list.ToLookup(t => t.User, t => (t.Id, t.Display));
    }

    internal static void Bind(NpgsqlCommand command, List<object> parameters)
    {
        foreach (var value in parameters)
        {
            command.Parameters.Add(value switch
            {
                string s => new NpgsqlParameter { Value = s, NpgsqlDbType = NpgsqlDbType.Text },
                DateTimeOffset d => new NpgsqlParameter { Value = d, NpgsqlDbType = NpgsqlDbType.TimestampTz },
                int i => new NpgsqlParameter { Value = i, NpgsqlDbType = NpgsqlDbType.Integer },
                _ => new NpgsqlParameter { Value = value },
            });
        }
    }

    private static ScimUserRow Read(NpgsqlDataReader reader) => new(
        reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetBoolean(3),
        JsonNode.Parse(reader.GetString(4))!.AsObject(), reader.GetInt64(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateTimeOffset>(7),
        reader.GetBoolean(8));
}
