using Microsoft.Extensions.Options;
using Platform.Gateway.Problems;
using Platform.Gateway.UserTokens;

namespace Platform.Gateway.Authentication;

/// <summary>
/// One credential per request (SPEC GW-AUTH), decided from the headers before anything is verified:
/// <list type="bullet">
/// <item>two (a key and a token, two keys, a cookie and a token, a key and Basic…) are a 400
/// <c>multiple-credentials</c>: otherwise one credential could pick the organization's allowlist and limits while
/// another acted upstream;</item>
/// <item>a bearer value that is neither an API key nor a JWT (a static operator token) and any scheme other than
/// Bearer and Basic are a 401 <c>invalid-token</c>: they never reach a service through the public edge; so is an
/// organization's SCIM token (<c>Bearer scim_…</c>) outside <c>/scim/v2</c>, where identity checks it;</item>
/// <item>identity headers a client sends (<c>X-Platform-*</c>) are removed: only the gateway sets them.</item>
/// </list>
/// </summary>
internal sealed class CredentialRuleMiddleware(RequestDelegate next, IOptions<UserTokenOptions> options)
{
    private const string HeaderPrefix = "X-Platform-";
    private static readonly PathString ScimPath = "/scim/v2";
    private readonly string sessionCookie = options.Value.SessionCookie;

    public Task InvokeAsync(HttpContext context)
    {
        RemoveSpoofedHeaders(context.Request.Headers);
        var credential = Credential.Of(context, sessionCookie);
        if (credential.Kind == CredentialKind.Multiple)
        {
            return EdgeProblem.WriteAsync(context, 400, "multiple-credentials", "More than one credential",
                "Send one credential: an API key, an access token, client credentials or a session, not several.");
        }

        // A SCIM token is the identity service's to check, and only on the SCIM API: anywhere else it is no credential.
        if (credential.Kind == CredentialKind.Unrecognized
            || (credential.Kind == CredentialKind.ScimToken && !context.Request.Path.StartsWithSegments(ScimPath, StringComparison.Ordinal)))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return EdgeProblem.WriteAsync(context, 401, "invalid-token", "The credential is not accepted here",
                "Send an API key or an access token from the identity service as 'Authorization: Bearer'.");
        }

        return next(context);
    }

    private static void RemoveSpoofedHeaders(IHeaderDictionary headers)
    {
        List<string>? spoofed = null;
        foreach (var header in headers)
        {
            if (header.Key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase)) (spoofed ??= []).Add(header.Key);
        }

        if (spoofed is null) return;
        foreach (var name in spoofed) headers.Remove(name);
    }
}
