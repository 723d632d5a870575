using Microsoft.AspNetCore.Http.Features;

namespace Platform.Gateway.Hardening;

/// <summary>
/// HEAD wherever GET (SPEC GW-HARDEN). A HEAD answer has no body, but the gateway's own answers (problems, status-code
/// pages, security.txt) write one: Kestrel drops it on HTTP/1.1 yet sends it as DATA frames on HTTP/2, where the client
/// then resets the stream (PROTOCOL_ERROR). So a HEAD request's body writes go nowhere, whoever makes them.
/// </summary>
internal static class HeadRequests
{
    public static IApplicationBuilder UseHeadWithoutBody(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (HttpMethods.IsHead(context.Request.Method) && context.Features.Get<IHttpResponseBodyFeature>() is { } body)
            {
                context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(Stream.Null, body));
            }

            return next(context);
        });
}
