namespace Platform.Identity.Accounts;

internal sealed record User(
    string Id,
    string Email,
    string PasswordHash,
    DateTimeOffset? EmailVerifiedAt,
    byte[]? TotpSecret,
    long? TotpLastStep,
    int SessionGeneration);
