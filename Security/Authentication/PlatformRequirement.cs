using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace Platform.Security.Authentication;

/// <summary>
/// One condition of an authorization policy and the problem that answers a request failing it (first failed wins):
/// e.g. "an access token needs scope platform.keys", 403 <c>insufficient-scope</c>. The condition sees the one
/// principal and the request (route values included).
/// </summary>
public sealed class PlatformRequirement(string slug, string title, string detail, Func<ClaimsPrincipal, HttpContext, bool> allows, int status = 403)
    : IAuthorizationRequirement
{
    public string Slug { get; } = slug;

    public string Title { get; } = title;

    public string Detail { get; } = detail;

    public int Status { get; } = status;

    /// <summary>Set on the answer (e.g. the RFC 6750 / RFC 9470 challenge).</summary>
    public Func<HttpContext, string?>? Challenge { get; init; }

    public bool Allows(ClaimsPrincipal principal, HttpContext http) => allows(principal, http);
}

internal sealed class PlatformRequirementHandler : AuthorizationHandler<PlatformRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PlatformRequirement requirement)
    {
        if (context.Resource is HttpContext http && requirement.Allows(context.User, http)) context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
