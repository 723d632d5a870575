namespace Platform.Gateway.Hardening;

/// <summary>Headers every response carries, whoever produced it: the gateway, an upstream or an error handler.</summary>
internal static class SecurityHeaders
{
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    public const string PagePolicy = "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static bool IsHtml(Microsoft.Extensions.Primitives.StringValues contentType) =>
        contentType.ToString().StartsWith("text/html", StringComparison.OrdinalIgnoreCase);

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            // Set when the response starts, so they survive error handlers clearing the response and override
            // whatever an upstream sent.
            context.Response.OnStarting(static state =>
            {
                var headers = ((HttpResponse)state).Headers;
                // RFC 6797 section 6.1; browsers ignore it on the plain-HTTP internal listener (section 8.1).
                headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
                headers.XContentTypeOptions = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                headers.XFrameOptions = "DENY";
                // Pages (an upstream's HTML) keep a policy of their own if they set one, else get a strict one; every
                // other answer may load nothing and be framed by nobody.
                if (headers.ContentSecurityPolicy.Count == 0)
                {
                    headers.ContentSecurityPolicy = IsHtml(headers.ContentType) ? PagePolicy : ApiPolicy;
                }
                else if (!headers.ContentSecurityPolicy.ToString().Contains("frame-ancestors", StringComparison.OrdinalIgnoreCase))
                {
                    headers.ContentSecurityPolicy = headers.ContentSecurityPolicy + "; frame-ancestors 'none'";
                }

                return Task.CompletedTask;
            }, context.Response);

            return next(context);
        });
}
