namespace Platform.Identity.Events;

/// <summary>The actions identity writes to the audit trail (issue #5 item 6). Never a password, token or code.</summary>
internal static class AuditActions
{
    public const string SignInSucceeded = "identity.sign_in.succeeded";
    public const string SignInFailed = "identity.sign_in.failed";
    public const string AccountLocked = "identity.account.locked";
    public const string SignedUp = "identity.user.signed_up";
    public const string EmailVerified = "identity.user.email_verified";
    public const string PasswordReset = "identity.user.password_reset";
    public const string SessionsRevoked = "identity.user.sessions_revoked";
    public const string MfaEnrolled = "identity.mfa.enrolled";
    public const string MfaRemoved = "identity.mfa.removed";
    public const string MfaFailed = "identity.mfa.failed";
    public const string MfaSucceeded = "identity.mfa.succeeded";
    public const string RecoveryCodeUsed = "identity.mfa.recovery_code_used";
    public const string OrganizationCreated = "identity.organization.created";
    public const string OrganizationSettingsChanged = "identity.organization.settings_changed";
    public const string MemberInvited = "identity.member.invited";
    public const string InvitationWithdrawn = "identity.member.invitation_withdrawn";
    public const string MemberJoined = "identity.member.joined";
    public const string MemberRemoved = "identity.member.removed";
    public const string RoleChanged = "identity.member.role_changed";
    public const string ResourceGranted = "identity.resource.granted";
    public const string ResourceRevoked = "identity.resource.revoked";
    public const string ClientCreated = "identity.client.created";
    public const string ClientSecretRotated = "identity.client.secret_rotated";
    public const string ClientDeleted = "identity.client.deleted";
    public const string TokenFamilyRevoked = "identity.token_family.revoked";
    public const string ConsentGranted = "identity.consent.granted";
    public const string AuthorizationRefused = "identity.authorization.refused";
    public const string SignedOut = "identity.session.ended";
    public const string MfaLocked = "identity.mfa.locked";
    public const string AccessRefused = "identity.api.refused";
    public const string SsoConnectionCreated = "identity.sso.connection_created";
    public const string SsoConnectionDeleted = "identity.sso.connection_deleted";
    public const string SsoRoleMappingsChanged = "identity.sso.role_mappings_changed";
    public const string SsoDomainClaimed = "identity.sso.domain_claimed";
    public const string SsoDomainVerified = "identity.sso.domain_verified";
    public const string SsoDomainChanged = "identity.sso.domain_changed";
    public const string SsoSignedIn = "identity.sso.signed_in";
    public const string SsoUserProvisioned = "identity.sso.user_provisioned";
    public const string SsoRefused = "identity.sso.refused";
    public const string SsoBreakGlass = "identity.sso.break_glass";
    public const string SsoSamlRolloverStarted = "identity.sso.saml_rollover_started";
    public const string SsoSamlRolloverFinished = "identity.sso.saml_rollover_finished";
    public const string ScimTokenCreated = "identity.scim.token_created";
    public const string ScimTokenRevoked = "identity.scim.token_revoked";
    public const string ScimRoleMappingsChanged = "identity.scim.role_mappings_changed";
    public const string ScimUserProvisioned = "identity.scim.user_provisioned";
    public const string ScimUserUpdated = "identity.scim.user_updated";
    public const string ScimUserDeprovisioned = "identity.scim.user_deprovisioned";
    public const string ScimUserDeleted = "identity.scim.user_deleted";
    public const string ScimGroupCreated = "identity.scim.group_created";
    public const string ScimGroupUpdated = "identity.scim.group_updated";
    public const string ScimGroupDeleted = "identity.scim.group_deleted";
    public const string ScimRefused = "identity.scim.refused";
}
