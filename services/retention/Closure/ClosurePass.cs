using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Data;
using Platform.Retention.Events;
using Platform.Retention.Model;

namespace Platform.Retention.Closure;

/// <summary>
/// One look for closures whose grace period is over (SPEC RET-CLOSE): each becomes <c>deleting</c>; retention deletes
/// its own policies and plan of the organization, and asks every service by <c>organization.closure-due</c> (with the
/// organization's active legal holds, which each service skips) in the same transaction. A service that has not
/// answered after <see cref="ClosureOptions.RetryDelay"/> is asked again (never forgotten: an error log each time).
/// </summary>
internal sealed partial class ClosurePass(NpgsqlDataSource dataSource, HoldStore holds, IOutbox outbox, IOptions<ClosureOptions> options, TimeProvider time, ILogger<ClosurePass> logger)
    : IScheduledPass
{
    public string Name => "closure";

    public TimeSpan Interval => options.Value.Interval;

    public async Task<bool> RunScheduledAsync(CancellationToken cancellationToken)
    {
        await RunAsync(cancellationToken);
        return false;
    }

    public const string Actor = "retention:closure";
    public const string DeletingAction = "organization.closure.deleting";

    /// <summary>How many closures were started or asked again.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var count = 0;
        await using var due = dataSource.CreateCommand("""
            SELECT id, organization_id, status FROM organization_closures
            WHERE (status = 'pending' AND grace_ends_at <= $1) OR (status = 'deleting' AND asked_at + $2 <= $1)
            ORDER BY grace_ends_at LIMIT 100
            """);
        due.Parameters.Add(new() { Value = now });
        due.Parameters.Add(new() { Value = options.Value.RetryDelay });
        var closures = new List<(string Id, string OrganizationId, string Status)>();
        await using (var reader = await due.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) closures.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        foreach (var (id, organizationId, status) in closures)
        {
            if (status == ClosureStatuses.Pending ? await StartAsync(id, organizationId, now, cancellationToken) : await AskAgainAsync(id, organizationId, now, cancellationToken)) count++;
        }

        return count;
    }

    private async Task<bool> StartAsync(string closureId, string organizationId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var active = await holds.ListAsync(organizationId, includeReleased: false, cancellationToken);
        var held = new ClosureHolds(
            active.Any(h => h.Scope == HoldScopes.Organization), Targets(active, HoldScopes.Dataset), Targets(active, HoldScopes.DataClass), Targets(active, HoldScopes.User));
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ClosureStore.LockAsync(connection, transaction, closureId, organizationId, cancellationToken) is not { Status: ClosureStatuses.Pending } closure || closure.GraceEndsAt > now) return false;

        // Retention's own part: the organization's periods and plan (its legal holds stay: they say why items were kept).
        var deleted = new Dictionary<string, long>
        {
            ["policies"] = await DeleteAsync("DELETE FROM retention_policies WHERE organization_id = $1", organizationId, connection, transaction, cancellationToken),
            ["plans"] = await DeleteAsync("DELETE FROM organization_plans WHERE organization_id = $1", organizationId, connection, transaction, cancellationToken),
        };
        await using (var update = new NpgsqlCommand("""
            UPDATE organization_closures SET status = 'deleting', deleting_since = $2, asked_at = $2, attempts = 1, holds = $3::jsonb, retention_deleted = $4::jsonb WHERE id = $1
            """, connection, transaction))
        {
            foreach (var value in new object[] { closureId, now, JsonSerializer.Serialize(held, JsonSerializerOptions.Web), JsonSerializer.Serialize(deleted, JsonSerializerOptions.Web) })
                update.Parameters.Add(new() { Value = value });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(
            [
                new ClosureDue { OrganizationId = organizationId, OccurredAt = now, ClosureId = closureId, Holds = held },
                new AuditRecorded
                {
                    OccurredAt = now, OrganizationId = organizationId, Actor = Actor, Action = DeletingAction, Target = closureId, Outcome = "success",
                    Details = new Dictionary<string, string> { ["participants"] = string.Join(',', options.Value.EffectiveParticipants), ["holds"] = (active.Count).ToString(CultureInfo.InvariantCulture) },
                },
            ],
            transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogStarted(logger, closureId, organizationId, active.Count);
        return true;
    }

    private async Task<bool> AskAgainAsync(string closureId, string organizationId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ClosureHolds held;
        int attempts;
        await using (var select = new NpgsqlCommand(
            "SELECT holds::text, attempts FROM organization_closures WHERE id = $1 AND status = 'deleting' AND asked_at + $2 <= $3 FOR UPDATE SKIP LOCKED", connection, transaction))
        {
            foreach (var value in new object[] { closureId, options.Value.RetryDelay, now }) select.Parameters.Add(new() { Value = value });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return false;
            held = JsonSerializer.Deserialize<ClosureHolds>(reader.GetString(0), JsonSerializerOptions.Web) ?? ClosureHolds.None;
            attempts = reader.GetInt32(1);
        }

        await using (var update = new NpgsqlCommand("UPDATE organization_closures SET asked_at = $2, attempts = attempts + 1 WHERE id = $1", connection, transaction))
        {
            update.Parameters.Add(new() { Value = closureId });
            update.Parameters.Add(new() { Value = now });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        var answered = (await ClosureStore.AnswersAsync(connection, transaction, closureId, cancellationToken)).Select(a => a.Participant).ToHashSet();
        var missing = options.Value.EffectiveParticipants.Where(p => !answered.Contains(p)).ToList();
        await outbox.EnqueueAsync(new ClosureDue { OrganizationId = organizationId, OccurredAt = now, ClosureId = closureId, Holds = held }, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogAskedAgain(logger, closureId, organizationId, attempts + 1, string.Join(", ", missing));
        return true;
    }

    private static async Task<long> DeleteAsync(string sql, string organizationId, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string[] Targets(IEnumerable<LegalHold> active, string scope) => active.Where(h => h.Scope == scope).Select(h => h.Target).Order(StringComparer.Ordinal).ToArray();

    [LoggerMessage(EventId = 1653, Level = LogLevel.Warning, Message = "Closure {ClosureId}: the grace period of {OrganizationId} is over; every service is asked to delete its data ({Holds} active holds)")]
    private static partial void LogStarted(ILogger logger, string closureId, string organizationId, int holds);

    [LoggerMessage(EventId = 1654, Level = LogLevel.Error, Message = "Closure {ClosureId} of {OrganizationId}: asked again (attempt {Attempt}); not answered yet by {Missing}")]
    private static partial void LogAskedAgain(ILogger logger, string closureId, string organizationId, int attempt, string missing);
}
