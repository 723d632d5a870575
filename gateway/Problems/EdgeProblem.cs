namespace Platform.Gateway.Problems;

/// <summary>The gateway's own refusals, as RFC 9457 problems with a stable <c>type</c> under <see cref="Base"/>.</summary>
internal static class EdgeProblem
{
    public const string Base = "https://platform.dev/problems/";

    public static Task WriteAsync(HttpContext context, int status, string type, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Results.Problem(statusCode: status, type: Base + type, title: title, detail: detail).ExecuteAsync(context);
    }
}
