using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Security.Authentication;

/// <summary>
/// Refusals an endpoint decides itself, from what the request does (a level that may not replace this object): the
/// same problem and audit entry as a policy's refusal, under the same principal.
/// </summary>
public static class Refusals
{
    public const string RequestIdHeader = "X-Request-Id";
    private const int MaxRequestIdLength = 128;

    // The gateway's request id alphabet: safe in logs, headers and queries without escaping.
    private static readonly SearchValues<char> requestIdCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:");

    public static async Task<ProblemHttpResult> RefuseAsync(this HttpContext http, string slug, string title, string detail, int status = 403)
    {
        if (http.User.Actor() is not null)
        {
            await http.RequestServices.GetRequiredService<ISecurityAudit>().RecordAsync(ProblemAuthorizationResultHandler.Refusal(http, slug), http.RequestAborted);
        }

        return TypedResults.Problem(statusCode: status, type: PlatformProblems.Base + slug, title: title, detail: detail);
    }

    /// <summary>The gateway's request id when well-formed, else this service's trace identifier.</summary>
    public static string RequestId(HttpContext http) =>
        http.Request.Headers[RequestIdHeader] is [{ Length: > 0 and <= MaxRequestIdLength } id] && !id.AsSpan().ContainsAnyExcept(requestIdCharacters)
            ? id
            : http.TraceIdentifier;
}
