using Npgsql;
using Platform.Retention.Model;

namespace Platform.Retention.Data;

/// <summary>Organizations' plans and chosen periods.</summary>
internal sealed class PolicyStore(NpgsqlDataSource dataSource)
{
    public async Task<OrganizationPlan> GetPlanAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT plan, updated_at, updated_by FROM organization_plans WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organizationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new OrganizationPlan(organizationId, reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2))
            : new OrganizationPlan(organizationId, Plans.SelfService, null, null);
    }

    public async Task<Dictionary<string, StoredPolicy>> GetPoliciesAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT data_class, days, updated_at, updated_by FROM retention_policies WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organizationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var policies = new Dictionary<string, StoredPolicy>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var policy = new StoredPolicy(organizationId, reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
            policies[policy.DataClass] = policy;
        }

        return policies;
    }

    /// <summary>The plan, read under a row lock of the organization's plan (taken even when there is no row yet) so a plan change and a policy change serialize.</summary>
    public static async Task<string> LockPlanAsync(string organizationId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('retention.plan:' || $1))", transaction.Connection, transaction))
        {
            lockCommand.Parameters.Add(new() { Value = organizationId });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand("SELECT plan FROM organization_plans WHERE organization_id = $1", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        return await command.ExecuteScalarAsync(cancellationToken) as string ?? Plans.SelfService;
    }

    public static async Task<int?> GetDaysAsync(string organizationId, string dataClass, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT days FROM retention_policies WHERE organization_id = $1 AND data_class = $2", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = dataClass });
        return await command.ExecuteScalarAsync(cancellationToken) as int?;
    }

    public static async Task SavePolicyAsync(StoredPolicy policy, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO retention_policies (organization_id, data_class, days, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (organization_id, data_class) DO UPDATE SET days = EXCLUDED.days, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """, transaction.Connection, transaction);
        foreach (var value in new object[] { policy.OrganizationId, policy.DataClass, policy.Days, policy.UpdatedAt, policy.UpdatedBy }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task SavePlanAsync(OrganizationPlan plan, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO organization_plans (organization_id, plan, updated_at, updated_by) VALUES ($1, $2, $3, $4)
            ON CONFLICT (organization_id) DO UPDATE SET plan = EXCLUDED.plan, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """, transaction.Connection, transaction);
        foreach (var value in new object[] { plan.OrganizationId, plan.Plan, plan.UpdatedAt!.Value, plan.UpdatedBy! }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
