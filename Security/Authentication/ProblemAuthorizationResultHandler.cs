using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Platform.Security.Authentication;

/// <summary>
/// Answers a request the policy refused with the problem of its first failed <see cref="PlatformRequirement"/>, and
/// files the refusal in the audit trail under the request's principal and client address. An unauthenticated request
/// gets its scheme's challenge (401, or 400 <c>multiple-credentials</c>).
/// </summary>
internal sealed class ProblemAuthorizationResultHandler(ISecurityAudit audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (!result.Forbidden || context.User.Actor() is not { } actor)
        {
            await fallback.HandleAsync(next, context, policy, result);
            return;
        }

        var failed = result.AuthorizationFailure?.FailedRequirements.OfType<PlatformRequirement>().FirstOrDefault()
            ?? new PlatformRequirement("forbidden", "Not allowed", "This credential may not do this.", (_, _) => false);
        await audit.RecordAsync(Refusal(context, failed.Slug), context.RequestAborted);
        await PlatformProblems.WriteAsync(context, failed.Status, failed.Slug, failed.Title, failed.Detail, failed.Challenge?.Invoke(context));
    }

    /// <summary>The audit entry of a refused request: action <c>request.refused</c>, the problem slug as its reason.</summary>
    public static SecurityAuditEntry Refusal(HttpContext context, string reason) => new(
        context.User.Actor()!, "request.refused", context.GetRouteValue("organizationId") as string ?? context.User.OrganizationId(),
        context.Request.Path.Value, "denied", context.User.ClientAddress(), Refusals.RequestId(context),
        new() { ["reason"] = reason, ["method"] = context.Request.Method });
}
