using Platform.Security.Authentication;
using System.Globalization;
using Npgsql;
using Platform.Messaging;
using Platform.Retention.Data;
using Platform.Retention.Events;
using Platform.Retention.Model;

namespace Platform.Retention.Policies;

/// <summary>
/// Reads and changes organizations' retention periods and plans. A change, its event and its audit entry commit in
/// one transaction (outbox); the plan is locked meanwhile, so a period is always checked against the plan it is saved under.
/// </summary>
internal sealed partial class PolicyManager(NpgsqlDataSource dataSource, PolicyStore store, IOutbox outbox, TimeProvider time, ILogger<PolicyManager> logger)
{
    public const string PolicyChangedAction = "retention.policy.changed";
    public const string PlanChangedAction = "retention.plan.changed";

    public async Task<(string Plan, IReadOnlyList<EffectivePolicy> Policies)> GetAsync(string organizationId, CancellationToken cancellationToken)
    {
        var plan = await store.GetPlanAsync(organizationId, cancellationToken);
        var stored = await store.GetPoliciesAsync(organizationId, cancellationToken);
        return (plan.Plan, RetentionRules.All.Select(rule => EffectivePolicy.Of(rule, plan.Plan, stored.GetValueOrDefault(rule.DataClass))).ToList());
    }

    /// <summary>Sets the period, or answers why not: the class is not configurable, or the period lies outside the plan's bounds.</summary>
    public async Task<PolicyChange> SetAsync(string organizationId, RetentionRule rule, int days, ChangeContext context, CancellationToken cancellationToken)
    {
        if (!rule.Configurable) return PolicyChange.NotConfigurable(rule);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var plan = await PolicyStore.LockPlanAsync(organizationId, transaction, cancellationToken);
        var bounds = rule.BoundsFor(plan)!;
        if (!bounds.Contains(days)) return PolicyChange.OutOfBounds(rule, plan, bounds);

        var previous = await PolicyStore.GetDaysAsync(organizationId, rule.DataClass, transaction, cancellationToken);
        var now = time.GetUtcNow();
        var stored = new StoredPolicy(organizationId, rule.DataClass, days, now, context.Actor);
        if (previous != days)
        {
            await PolicyStore.SavePolicyAsync(stored, transaction, cancellationToken);
            await outbox.EnqueueAsync(
                [
                    new RetentionPolicyChanged { OrganizationId = organizationId, OccurredAt = now, DataClass = rule.DataClass, Days = days, PreviousDays = previous },
                    Audit(context, organizationId, PolicyChangedAction, rule.DataClass, now, new()
                    {
                        ["dataClass"] = rule.DataClass, ["plan"] = plan, ["days"] = Text(days), ["previousDays"] = previous is { } p ? Text(p) : "default",
                    }),
                ],
                transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogPolicyChanged(logger, organizationId, rule.DataClass, previous, days, context.Actor);
        }

        return PolicyChange.Done(EffectivePolicy.Of(rule, plan, stored));
    }

    public async Task<OrganizationPlan> SetPlanAsync(string organizationId, string plan, ChangeContext context, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await PolicyStore.LockPlanAsync(organizationId, transaction, cancellationToken);
        var now = time.GetUtcNow();
        var stored = new OrganizationPlan(organizationId, plan, now, context.Actor);
        await PolicyStore.SavePlanAsync(stored, transaction, cancellationToken);
        await outbox.EnqueueAsync(Audit(context, organizationId, PlanChangedAction, organizationId, now, new() { ["plan"] = plan, ["previousPlan"] = previous }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogPlanChanged(logger, organizationId, previous, plan, context.Actor);
        return stored;
    }

    internal static AuditRecorded Audit(ChangeContext context, string organizationId, string action, string target, DateTimeOffset now, Dictionary<string, string> details) => new()
    {
        OccurredAt = now, OrganizationId = organizationId, Actor = context.Actor, Action = action, Target = target, Outcome = "success",
        Ip = context.Ip, RequestId = context.RequestId, UserAgent = context.UserAgent, Details = details,
    };

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 1611, Level = LogLevel.Information, Message = "Retention of {DataClass} in {OrganizationId} changed from {PreviousDays} to {Days} days by {Actor}")]
    private static partial void LogPolicyChanged(ILogger logger, string organizationId, string dataClass, int? previousDays, int days, string actor);

    [LoggerMessage(EventId = 1612, Level = LogLevel.Information, Message = "Plan of {OrganizationId} changed from {PreviousPlan} to {Plan} by {Actor}")]
    private static partial void LogPlanChanged(ILogger logger, string organizationId, string previousPlan, string plan, string actor);
}

/// <summary>The outcome of a period change: the policy now in force, or why nothing changed.</summary>
internal sealed record PolicyChange(EffectivePolicy? Policy, string? Refusal, RetentionRule Rule, string? Plan, DayBounds? Bounds)
{
    public const string NotConfigurableRefusal = "retention-not-configurable";
    public const string OutOfBoundsRefusal = "retention-out-of-bounds";

    public static PolicyChange Done(EffectivePolicy policy) => new(policy, null, policy.Rule, policy.Plan, policy.Bounds);

    public static PolicyChange NotConfigurable(RetentionRule rule) => new(null, NotConfigurableRefusal, rule, null, null);

    public static PolicyChange OutOfBounds(RetentionRule rule, string plan, DayBounds bounds) => new(null, OutOfBoundsRefusal, rule, plan, bounds);
}
