namespace Platform.Gateway.Hardening;

/// <summary>Headers every response carries, whoever produced it: the gateway, an upstream or an error handler.</summary>
internal static class SecurityHeaders
{
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
                return Task.CompletedTask;
            }, context.Response);

            return next(context);
        });
}
