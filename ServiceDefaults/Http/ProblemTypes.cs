using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Platform.ServiceDefaults.Http;

/// <summary>The RFC 9457 problem types every service shares for requests it cannot read.</summary>
public static class ProblemTypes
{
    public const string Base = "https://platform.dev/problems/";

    public const string InvalidRequest = Base + "invalid-request";

    public const string UnsupportedMediaType = Base + "unsupported-media-type";

    public const string TooLarge = Base + "request-too-large";

    public static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: 400, type: InvalidRequest, title: "The request is invalid", detail: detail);
}
