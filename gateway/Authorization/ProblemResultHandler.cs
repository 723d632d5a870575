using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Platform.Gateway.Problems;

namespace Platform.Gateway.Authorization;

/// <summary>
/// Answers a refused authorization with the problem its requirement gave (<see cref="RouteRefusal"/>) rather than a bare
/// challenge or forbid. The only refusal of a request without a principal is a route that takes API keys.
/// </summary>
internal sealed class ProblemResultHandler : IAuthorizationMiddlewareResultHandler
{
    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Succeeded) return next(context);
        if (authorizeResult.AuthorizationFailure?.FailureReasons.OfType<RouteRefusal>().FirstOrDefault() is { } refusal) return refusal.WriteAsync(context);
        if (authorizeResult.Challenged)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return EdgeProblem.WriteAsync(context, 401, "api-key-required", "An API key is required", "Send a key as 'Authorization: Bearer sk_…' or 'X-Api-Key'.");
        }

        return EdgeProblem.WriteAsync(context, 403, "forbidden", "Not allowed", "The request's credential may not use this route.");
    }
}
