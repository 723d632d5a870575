using Platform.Messaging;
using Platform.Messaging.Contracts;

namespace Platform.Identity.SubjectRequests;

/// <summary>
/// Identity's part of an erasure (SPEC RET-DSAR, GDPR Art. 17), in the inbox's transaction: the person's membership,
/// resource grants, SCIM and SSO links and pending invitations in this organization are deleted, the OAuth clients and
/// invitations they made are kept for the organization with their author anonymised; if they belong to no other
/// organization, their account is anonymised too (email replaced, password, second factor, recovery codes, sessions
/// and tokens removed: it can no longer sign in). A legal hold on the organization or on the person keeps everything
/// (listed). Answered with the counts; safe to run again.
/// </summary>
internal sealed partial class SubjectErasureHandler(IOutbox outbox, TimeProvider time, ILogger<SubjectErasureHandler> logger) : IIntegrationEventHandler<SubjectErasureRequested>
{
    public async Task HandleAsync(SubjectErasureRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.OrganizationId is not { } organizationId) return;
        var user = request.SubjectUserId;
        var erased = new Dictionary<string, long>();
        var held = new List<ClosureHeldItem>();
        if (request.Holds.Organization || request.Holds.Users.Contains(user))
        {
            held.Add(new ClosureHeldItem("member", user, request.Holds.Organization ? "legal hold on the organization" : "legal hold on the person's data"));
        }
        else
        {
            erased["invitationsToThem"] = await SubjectSql.ExecuteAsync(
                "DELETE FROM invitations WHERE org_id = $1 AND email_normalized = (SELECT email_normalized FROM users WHERE id = $2)", context, cancellationToken, organizationId, user);
            erased["scimUsers"] = await SubjectSql.ExecuteAsync("DELETE FROM scim_users WHERE org_id = $1 AND user_id = $2", context, cancellationToken, organizationId, user);
            erased["ssoIdentities"] = await SubjectSql.ExecuteAsync(
                "DELETE FROM sso_identities i USING sso_connections c WHERE c.id = i.connection_id AND c.org_id = $1 AND i.user_id = $2", context, cancellationToken, organizationId, user);
            erased["resourceGrants"] = await SubjectSql.ExecuteAsync("DELETE FROM resource_grants WHERE org_id = $1 AND user_id = $2", context, cancellationToken, organizationId, user);
            erased["memberships"] = await SubjectSql.ExecuteAsync("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2", context, cancellationToken, organizationId, user);
            erased["oauthClientAuthorsAnonymised"] = await SubjectSql.ExecuteAsync(
                $"UPDATE client_owners SET created_by = '{SubjectSql.ErasedMarker}' WHERE org_id = $1 AND created_by = $2", context, cancellationToken, organizationId, user);
            erased["invitationAuthorsAnonymised"] = await SubjectSql.ExecuteAsync(
                $"UPDATE invitations SET invited_by = '{SubjectSql.ErasedMarker}' WHERE org_id = $1 AND invited_by = $2", context, cancellationToken, organizationId, user);
            erased["accountsAnonymised"] = await AnonymiseAccountAsync(user, context, cancellationToken);
        }

        await outbox.EnqueueAsync(new SubjectErasureAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = SubjectExportHandler.Participant,
            Erased = erased, Held = held, HeldCount = held.Count,
        }, context.Transaction, cancellationToken);
        LogErased(logger, request.RequestId, organizationId, erased.GetValueOrDefault("memberships"), held.Count > 0);
    }

    // The account is the person's own: kept while they belong to another organization, anonymised otherwise.
    private static async Task<long> AnonymiseAccountAsync(string user, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var anonymised = await SubjectSql.ExecuteAsync("""
            UPDATE users SET email = 'erased-' || id || '@erased.invalid', email_normalized = 'ERASED-' || upper(id) || '@ERASED.INVALID', password_hash = '!erased',
                             totp_secret = NULL, totp_pending_secret = NULL, totp_enrolled_at = NULL, totp_last_step = NULL, session_generation = session_generation + 1
            WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1) AND email_normalized NOT LIKE 'ERASED-%'
            """, context, cancellationToken, user);
        if (anonymised == 0) return 0;
        foreach (var table in new[] { "sessions", "user_tokens", "recovery_codes", "sso_identities" })
            await SubjectSql.ExecuteAsync($"DELETE FROM {table} WHERE user_id = $1", context, cancellationToken, user);
        return anonymised;
    }

    [LoggerMessage(EventId = 2912, Level = LogLevel.Warning, Message = "Data-subject request {RequestId} of {OrganizationId}: identity erased {Memberships} memberships (held: {Held})")]
    private static partial void LogErased(ILogger logger, string requestId, string organizationId, long memberships, bool held);
}
