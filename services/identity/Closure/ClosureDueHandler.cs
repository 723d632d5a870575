using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Identity.Closure;

/// <summary>
/// Deletes a closed organization at identity once its grace period is over (SPEC RET-CLOSE), in the inbox's
/// transaction: the organization row and with it (ON DELETE CASCADE) every membership, invitation, resource grant,
/// client ownership, SSO connection and domain, SCIM token, user, group and role mapping; the OAuth clients the
/// organization registered (OpenIddict's applications, with their tokens and authorizations) are deleted first. The people's accounts stay:
/// they are theirs, and may belong to other organizations. Answers <c>organization.closure-answered</c> with the counts;
/// an organization hold keeps everything. Safe to run again.
/// </summary>
internal sealed partial class ClosureDueHandler(IOutbox outbox, TimeProvider time, ILogger<ClosureDueHandler> logger) : IIntegrationEventHandler<ClosureDue>
{
    public const string Participant = "identity";

    public async Task HandleAsync(ClosureDue due, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (due.OrganizationId is not { } organizationId) return;
        var deleted = new Dictionary<string, long>();
        var held = new List<ClosureHeldItem>();
        if (due.Holds.Organization)
        {
            held.Add(new ClosureHeldItem("organization", organizationId, "legal hold on the organization: memberships and settings kept"));
        }
        else
        {
            await using (var count = new NpgsqlCommand("""
                SELECT (SELECT count(*) FROM memberships WHERE org_id = $1), (SELECT count(*) FROM invitations WHERE org_id = $1),
                       (SELECT count(*) FROM client_owners WHERE org_id = $1), (SELECT count(*) FROM sso_connections WHERE org_id = $1)
                """, context.Connection, context.Transaction))
            {
                count.Parameters.Add(new() { Value = organizationId });
                await using var reader = await count.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                (deleted["memberships"], deleted["invitations"], deleted["clients"], deleted["ssoConnections"]) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
            }

            // The organization's OAuth client registrations (OpenIddict's applications) with their tokens and authorizations:
            // client_owners only said whose they were.
            var applications = new List<string>();
            await using (var clients = new NpgsqlCommand(
                "SELECT a.\"Id\" FROM oidc.\"OpenIddictApplications\" a JOIN client_owners o ON o.client_id = a.\"ClientId\" WHERE o.org_id = $1", context.Connection, context.Transaction))
            {
                clients.Parameters.Add(new() { Value = organizationId });
                await using var reader = await clients.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken)) applications.Add(reader.GetString(0));
            }

            foreach (var sql in new[]
            {
                "DELETE FROM oidc.\"OpenIddictTokens\" WHERE \"ApplicationId\" = ANY($1) OR \"AuthorizationId\" IN (SELECT \"Id\" FROM oidc.\"OpenIddictAuthorizations\" WHERE \"ApplicationId\" = ANY($1))",
                "DELETE FROM oidc.\"OpenIddictAuthorizations\" WHERE \"ApplicationId\" = ANY($1)",
                "DELETE FROM oidc.\"OpenIddictApplications\" WHERE \"Id\" = ANY($1)",
            })
            {
                await using var delete = new NpgsqlCommand(sql, context.Connection, context.Transaction);
                delete.Parameters.Add(new() { Value = applications.ToArray() });
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            deleted["oauthClients"] = applications.Count;
            await using var organization = new NpgsqlCommand("DELETE FROM organizations WHERE id = $1", context.Connection, context.Transaction);
            organization.Parameters.Add(new() { Value = organizationId });
            deleted["organizations"] = await organization.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(new ClosureAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), ClosureId = due.ClosureId, Participant = Participant, Deleted = deleted, Held = held,
        }, context.Transaction, cancellationToken);
        LogDeleted(logger, due.ClosureId, organizationId, deleted.GetValueOrDefault("memberships"));
    }

    [LoggerMessage(EventId = 2901, Level = LogLevel.Warning, Message = "Closure {ClosureId}: organization {OrganizationId} deleted with its {Memberships} memberships")]
    private static partial void LogDeleted(ILogger logger, string closureId, string organizationId, long memberships);
}
