using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Secrets;

namespace Platform.Keys.Apis;

/// <summary>The problems particular to secrets (RFC 9457 section 3.1.1); the rest are <see cref="Problems"/>.</summary>
internal static class SecretProblems
{
    private const string Base = "https://platform.dev/problems/";
    public const string KeysDestroyed = Base + "organization-keys-destroyed";
    public const string KeyVersionRetired = Base + "key-version-retired";
    public const string StorageUnavailable = Base + "storage-unavailable";
    public const string SecretIntegrity = Base + "secret-integrity-failure";

    public static ProblemHttpResult SecretNotFound() =>
        TypedResults.Problem(statusCode: 404, type: Problems.NotFound, title: "No such secret", detail: "This organization has no secret by that name.");

    public static ProblemHttpResult Unavailable() =>
        TypedResults.Problem(statusCode: 503, type: StorageUnavailable, title: "Encryption is unavailable",
            detail: "Storage's encryption service did not answer. Nothing was changed; try again later.");

    /// <summary>What storage's refusal means for the caller; storage's own detail is not passed on.</summary>
    public static ProblemHttpResult Refused(TransitRefusedException refusal) => refusal.Status switch
    {
        410 => TypedResults.Problem(statusCode: 410, type: KeysDestroyed, title: "The organization's keys were destroyed",
            detail: "The organization's encryption keys were crypto-shredded: its secrets can never be read again, and no new one can be stored."),
        409 when refusal.Type == KeyVersionRetired => TypedResults.Problem(statusCode: 409, type: KeyVersionRetired, title: "The key version is retired",
            detail: "The secret was sealed with a key version the organization has retired. Store it again."),
        _ => TypedResults.Problem(statusCode: 500, type: SecretIntegrity, title: "The secret could not be sealed or opened",
            detail: "Storage's encryption service refused it (for a stored secret: its ciphertext was altered or sealed elsewhere). Nothing was changed."),
    };
}
