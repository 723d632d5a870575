using Microsoft.Extensions.Options;

namespace Platform.Identity.Sessions;

/// <summary>
/// Behind the gateway, TLS ends at the gateway: a request from a trusted proxy that says X-Forwarded-Proto: https is
/// treated as HTTPS (Secure cookies, OpenIddict's transport security requirement), and X-Forwarded-Host names the
/// public host. From anyone else both headers are ignored.
/// The one exception is a GET of the JWKS: the gateway and the services fetch the public signing keys from the
/// internal address without TLS, and nothing confidential travels in either direction, so OpenIddict's HTTPS
/// requirement (which protects credentials and tokens) is not applied to it.
/// </summary>
internal static class ForwardedScheme
{
    public static IApplicationBuilder UseTrustedForwardedScheme(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var proxies = http.RequestServices.GetRequiredService<IOptions<IdentityOptions>>().Value.TrustedProxies;
        var address = http.Connection.RemoteIpAddress;
        if (address is { IsIPv4MappedToIPv6: true }) address = address.MapToIPv4();
        if (proxies.Count > 0 && (proxies.Contains("*") || (address is not null && proxies.Contains(address.ToString()))))
        {
            if (string.Equals(http.Request.Headers["X-Forwarded-Proto"].ToString().Split(',')[^1].Trim(), "https", StringComparison.OrdinalIgnoreCase))
            {
                http.Request.Scheme = "https";
            }

            // The public host (the gateway's), so that discovery lists the endpoints clients can reach.
            var host = http.Request.Headers["X-Forwarded-Host"].ToString().Split(',')[^1].Trim();
            if (host.Length is > 0 and <= 255 && !host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '@'))
            {
                http.Request.Host = new HostString(host);
            }
        }

        if (HttpMethods.IsGet(http.Request.Method) && http.Request.Path.Equals(Oidc.OidcSetup.JwksPath, StringComparison.Ordinal))
        {
            http.Request.Scheme = "https";
        }

        return next(http);
    });
}
