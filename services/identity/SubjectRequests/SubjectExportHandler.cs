using System.Text.Json;
using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Identity.SubjectRequests;

/// <summary>
/// Identity's part of a data-subject access/portability archive (SPEC RET-DSAR): the person's profile (no password
/// hash, second-factor secret or recovery code), their membership and resource grants in <b>this</b> organization only
/// (another organization's are not this organization's to read), their sign-in sessions (times only: a session id is a
/// credential), the OAuth clients they registered for it, their SSO and SCIM links in it. A person who is not a member
/// has an empty part. Read in the inbox's transaction; answered once per ask.
/// </summary>
internal sealed partial class SubjectExportHandler(IOutbox outbox, TimeProvider time, ILogger<SubjectExportHandler> logger) : IIntegrationEventHandler<SubjectExportRequested>
{
    public const string Participant = "identity";

    public async Task HandleAsync(SubjectExportRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        // The second round (uploaders named) is storage's.
        if (request.OrganizationId is not { } organizationId || request.Actors is not null) return;
        var user = request.SubjectUserId;
        var member = await SubjectSql.RowsAsync("SELECT role, created_at AS \"createdAt\" FROM memberships WHERE org_id = $1 AND user_id = $2", context, cancellationToken, organizationId, user);
        var sections = new Dictionary<string, JsonElement> { ["memberships"] = member };
        if (member.GetArrayLength() > 0)
        {
            sections["profile"] = await SubjectSql.RowsAsync("""
                SELECT id AS "userId", email, email_verified_at AS "emailVerifiedAt", created_at AS "createdAt", totp_enrolled_at AS "mfaEnrolledAt"
                FROM users WHERE id = $1
                """, context, cancellationToken, user);
            sections["resourceGrants"] = await SubjectSql.RowsAsync("""
                SELECT resource_type AS "resourceType", resource_id AS "resourceId", role, granted_by AS "grantedBy", created_at AS "createdAt"
                FROM resource_grants WHERE org_id = $1 AND user_id = $2 ORDER BY created_at
                """, context, cancellationToken, organizationId, user);
            sections["sessions"] = await SubjectSql.RowsAsync(
                "SELECT created_at AS \"createdAt\", expires_at AS \"expiresAt\" FROM sessions WHERE user_id = $1 ORDER BY created_at", context, cancellationToken, user);
            sections["oauthClients"] = await SubjectSql.RowsAsync(
                "SELECT client_id AS \"clientId\", created_at AS \"createdAt\" FROM client_owners WHERE org_id = $1 AND created_by = $2 ORDER BY created_at", context, cancellationToken, organizationId, user);
            sections["ssoIdentities"] = await SubjectSql.RowsAsync("""
                SELECT i.connection_id AS "connectionId", i.subject, i.created_at AS "createdAt"
                FROM sso_identities i JOIN sso_connections c ON c.id = i.connection_id WHERE c.org_id = $1 AND i.user_id = $2
                """, context, cancellationToken, organizationId, user);
            sections["scim"] = await SubjectSql.RowsAsync("""
                SELECT user_name AS "userName", external_id AS "externalId", active, resource::text AS "resource", created_at AS "createdAt", updated_at AS "updatedAt"
                FROM scim_users WHERE org_id = $1 AND user_id = $2
                """, context, cancellationToken, organizationId, user);
        }

        await outbox.EnqueueAsync(new SubjectExportAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = Participant, Sections = sections,
        }, context.Transaction, cancellationToken);
        LogExported(logger, request.RequestId, organizationId, sections.Count);
    }

    [LoggerMessage(EventId = 2911, Level = LogLevel.Information, Message = "Data-subject request {RequestId} of {OrganizationId}: identity's part answered ({Sections} sections)")]
    private static partial void LogExported(ILogger logger, string requestId, string organizationId, int sections);
}
