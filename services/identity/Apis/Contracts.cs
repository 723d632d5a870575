namespace Platform.Identity.Apis;

// Requests and responses of the /v1 API (camelCase JSON). Never EF entities.

public sealed record SignUpRequest(string Email, string Password);

public sealed record SignInRequest(string Email, string Password, bool BreakGlass = false);

public sealed record SignInResponse(string Status, string? UserId);

public sealed record MfaRequest(string? Code = null, string? RecoveryCode = null);

public sealed record CodeRequest(string Token);

public sealed record EmailRequest(string Email);

public sealed record PasswordResetRequest(string Token, string Password);

public sealed record MeResponse(string UserId, string Email, IReadOnlyList<string> Amr, DateTimeOffset AuthTime, bool MfaEnrolled, bool MfaEnrolmentRequired);

public sealed record TotpEnrolmentResponse(string ManualKey, string OtpAuthUri, string QrCode);

public sealed record RecoveryCodesResponse(IReadOnlyList<string> RecoveryCodes);

public sealed record CreateOrganizationRequest(string Name);

public sealed record OrganizationResponse(string Id, string Name, bool RequireMfa, string Role);

public sealed record MemberResponse(string UserId, string Email, string Role, bool MfaEnrolled);

public sealed record InviteRequest(string Email, string Role);

public sealed record InvitationResponse(string Id);

public sealed record PendingInvitationResponse(string Id, string Email, string Role, string InvitedBy, string? InvitedByEmail, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

public sealed record RoleRequest(string Role);

public sealed record SettingsRequest(bool RequireMfa);

public sealed record AcceptInvitationResponse(string OrganizationId);

public sealed record AccessResponse(string ResourceType, string ResourceId, IReadOnlyList<AccessEntry> Access);

public sealed record AccessEntry(string UserId, string Email, string Role, IReadOnlyList<AccessVia> Through);

public sealed record AccessVia(string Kind, string Role);

public sealed record CreateClientRequest(string Name, string Type, IReadOnlyList<string> Scopes, IReadOnlyList<string>? RedirectUris = null);

public sealed record ClientResponse(string ClientId, string? ClientSecret, string Type);
