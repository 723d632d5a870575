using Microsoft.AspNetCore.Http;

namespace Platform.Security.Authentication;

/// <summary>RFC 9457 problems written by the authentication and authorization steps, with the platform's stable types.</summary>
public static class PlatformProblems
{
    public const string Base = "https://platform.dev/problems/";

    public static Task WriteAsync(HttpContext http, int status, string slug, string title, string detail, string? challenge = null)
    {
        if (http.Response.HasStarted) return Task.CompletedTask;
        http.Response.StatusCode = status;
        // RFC 6750 section 3: a 401 names the scheme the client should use; a 403 for a scope names the scope.
        if (challenge is not null) http.Response.Headers.WWWAuthenticate = challenge;
        return Results.Problem(statusCode: status, type: Base + slug, title: title, detail: detail).ExecuteAsync(http);
    }
}
