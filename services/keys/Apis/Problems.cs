using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Model;

namespace Platform.Keys.Apis;

/// <summary>Stable problem types of this API (RFC 9457 section 3.1.1) and the answers built from them.</summary>
internal static class Problems
{
    public const string Unauthenticated = "https://platform.dev/problems/unauthenticated";
    public const string Forbidden = "https://platform.dev/problems/forbidden";
    public const string InvalidRequest = "https://platform.dev/problems/invalid-request";
    public const string NotFound = "https://platform.dev/problems/not-found";
    public const string KeyStateConflict = "https://platform.dev/problems/key-state-conflict";
    public const string UnsupportedMediaType = "https://platform.dev/problems/unsupported-media-type";
    public const string TooLarge = "https://platform.dev/problems/request-too-large";
    public const string InvalidToken = "https://platform.dev/problems/invalid-token";
    public const string InsufficientRole = "https://platform.dev/problems/insufficient-role";
    public const string StepUpRequired = "https://platform.dev/problems/step-up-required";

    public static ProblemHttpResult Unauthorized(HttpContext http, string detail)
    {
        // RFC 6750 section 3: a 401 names the scheme the client should use.
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(statusCode: 401, type: Unauthenticated, title: "Authentication required", detail: detail);
    }

    public static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: 400, type: InvalidRequest, title: "The request is invalid", detail: detail);

    public static ValidationProblem Invalid(ValidationErrors errors) =>
        TypedResults.ValidationProblem(errors.ToDictionary(), type: InvalidRequest, title: "The request is invalid",
            detail: "Nothing was changed. See 'errors' for each field.");

    public static ProblemHttpResult KeyNotFound() =>
        TypedResults.Problem(statusCode: 404, type: NotFound, title: "No such key", detail: "This organization has no key with that id.");
}
