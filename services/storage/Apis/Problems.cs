using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Storage.Keys;

namespace Platform.Storage.Apis;

/// <summary>Stable problem types of this API (RFC 9457 section 3.1.1) and the answers built from them.</summary>
internal static class Problems
{
    private const string Base = "https://platform.dev/problems/";
    public const string Unauthenticated = Base + "unauthenticated";
    public const string Forbidden = Base + "forbidden";
    public const string InvalidRequest = Base + "invalid-request";
    public const string NotFound = Base + "not-found";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string TooLarge = Base + "request-too-large";
    public const string LengthRequired = Base + "length-required";
    public const string RangeNotSatisfiable = Base + "range-not-satisfiable";
    public const string KeysDestroyed = Base + "organization-keys-destroyed";
    public const string KeyVersionRetired = Base + "key-version-retired";
    public const string KeyVersionDestroyed = Base + "key-version-destroyed";
    public const string PolicyConflict = Base + "key-policy-conflict";
    public const string ObjectIntegrity = Base + "object-integrity-failure";
    public const string CiphertextInvalid = Base + "ciphertext-invalid";

    public static ProblemHttpResult Unauthorized(HttpContext http, string detail)
    {
        // RFC 6750 section 3: a 401 names the scheme the client should use.
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: 401, type: Unauthenticated, title: "Authentication required", detail: detail);
    }

    public static ProblemHttpResult Denied(string detail) =>
        TypedResults.Problem(statusCode: 403, type: Forbidden, title: "Not allowed", detail: detail);

    public static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: 400, type: InvalidRequest, title: "The request is invalid", detail: detail);

    public static ProblemHttpResult Missing(string what) =>
        TypedResults.Problem(statusCode: 404, type: NotFound, title: $"No such {what}", detail: $"This organization has no {what} by that name or id in this region.");

    public static ProblemHttpResult Integrity() =>
        TypedResults.Problem(statusCode: 500, type: ObjectIntegrity, title: "The object failed its integrity check",
            detail: "Its stored bytes were altered, truncated or replaced. Nothing of it was returned.");

    public static ProblemHttpResult Unavailable(KeyUnavailableException exception) => exception.Reason switch
    {
        KeyUnavailableReason.Destroyed => TypedResults.Problem(statusCode: 410, type: KeysDestroyed, title: "The organization's keys were destroyed",
            detail: "Everything this organization stored was crypto-shredded and can never be read again."),
        KeyUnavailableReason.VersionDestroyed => TypedResults.Problem(statusCode: 410, type: KeyVersionDestroyed, title: "The key version was destroyed",
            detail: "The data key was wrapped by an organization key version that was retired and destroyed: what it protected was deleted and cannot be read again."),
        KeyUnavailableReason.Retired => TypedResults.Problem(statusCode: 409, type: KeyVersionRetired, title: "The key version is retired",
            detail: "The ciphertext was made with a key version below the organization's minimum decryption version."),
        KeyUnavailableReason.UnknownOrganization => TypedResults.Problem(statusCode: 404, type: NotFound, title: "No keys for this organization",
            detail: "This organization has no encryption keys in this region yet."),
        _ => TypedResults.Problem(statusCode: 400, type: CiphertextInvalid, title: "The ciphertext is not valid",
            detail: "It is malformed, altered, or made for another organization or encryption context."),
    };
}
