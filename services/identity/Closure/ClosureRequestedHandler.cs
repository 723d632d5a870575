using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Identity.Closure;

/// <summary>
/// Identity's copy of <c>Platform.Security.Closure.ClosureRequestedHandler</c> (identity does not reference the Security
/// project, whose authentication it does not use). Which organizations are closing (read-only until their grace period ends) or closed, as retention announces them
/// (<c>organization.closure-requested</c>, <c>organization.closure-cancelled</c>), each event applied once (inbox).
/// </summary>
internal sealed class ClosureRequestedHandler : IIntegrationEventHandler<ClosureRequested>, IIntegrationEventHandler<ClosureCancelled>
{
    public async Task HandleAsync(ClosureRequested requested, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (requested.OrganizationId is not { } organizationId) return;
        await using var command = new NpgsqlCommand("""
            INSERT INTO closing_organizations (organization_id, closure_id, status, grace_ends_at, recorded_at) VALUES ($1, $2, 'closing', $3, $4)
            ON CONFLICT (organization_id) DO UPDATE SET closure_id = EXCLUDED.closure_id, status = 'closing', grace_ends_at = EXCLUDED.grace_ends_at, recorded_at = EXCLUDED.recorded_at
            WHERE closing_organizations.status = 'closing'
            """, context.Connection, context.Transaction);
        foreach (var value in new object[] { organizationId, requested.ClosureId, requested.GraceEndsAt, requested.OccurredAt }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task HandleAsync(ClosureCancelled cancelled, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (cancelled.OrganizationId is not { } organizationId) return;
        await using var command = new NpgsqlCommand(
            "DELETE FROM closing_organizations WHERE organization_id = $1 AND closure_id = $2 AND status = 'closing'", context.Connection, context.Transaction);
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = cancelled.ClosureId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
