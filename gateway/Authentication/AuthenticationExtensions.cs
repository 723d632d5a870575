using Microsoft.AspNetCore.Authentication;

namespace Platform.Gateway.Authentication;

internal static class AuthenticationExtensions
{
    /// <summary>
    /// ASP.NET Core's authentication with the gateway's one scheme, here in the pipeline (after the credential rule,
    /// which it relies on), and one addition: a credential the gateway verifies that was presented and refused ends the
    /// request with the scheme's challenge (a 401 problem) instead of carrying on as anonymous.
    /// </summary>
    public static IApplicationBuilder UsePlatformAuthentication(this IApplicationBuilder app) =>
        app.UseAuthentication().Use(static async (context, next) =>
        {
            // Only a request whose key or token did not become the user is asked again (the handler's answer is kept
            // for the request, so nothing is verified twice): an accepted credential costs nothing here.
            if (context.User is not PlatformPrincipal && context.Features.Get<Credential>() is { VerifiedHere: true }
                && (await context.AuthenticateAsync(PlatformPrincipal.Scheme)).Failure is not null)
            {
                await context.ChallengeAsync(PlatformPrincipal.Scheme);
                return;
            }

            await next(context);
        });
}
