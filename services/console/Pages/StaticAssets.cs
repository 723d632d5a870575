using Microsoft.AspNetCore.StaticFiles;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>The stylesheet, the copy-button script and the error page.</summary>
internal static class StaticAssets
{
    public static void Headers(StaticFileResponseContext context)
    {
        context.Context.Response.Headers.CacheControl = "public, max-age=3600";
        context.Context.Response.Headers.XContentTypeOptions = "nosniff";
    }

    public static void MapErrorPage(this IEndpointRouteBuilder app) =>
        app.Map("/console/error", (HttpContext http) => Standalone(http, "Something went wrong",
            $"""<p id="refusal">The console could not show this page. Request id for support: <code id="request-id">{E(http.Request.Headers["X-Request-Id"].ToString())}</code></p>""", 500));
}
