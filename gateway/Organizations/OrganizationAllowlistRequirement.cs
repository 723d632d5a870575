using Microsoft.AspNetCore.Authorization;
using Platform.Gateway.Auditing;
using Platform.Gateway.Authentication;
using Platform.Gateway.Authorization;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;

namespace Platform.Gateway.Organizations;

/// <summary>The IP allowlist of the principal's organization.</summary>
internal sealed class OrganizationAllowlistRequirement : IAuthorizationRequirement
{
    public static readonly OrganizationAllowlistRequirement Instance = new();
}

/// <summary>
/// Applies the IP allowlist of the principal's organization to every request it makes, by key or by access token
/// (SPEC GW-IP): the organization of the request's one credential, never of another. A refusal is a 403
/// <c>ip-not-allowed</c> problem and an audit event naming that principal; a policy that cannot be read (and is not
/// cached) is a 503, never a skipped allowlist.
/// </summary>
internal sealed partial class OrganizationAllowlistHandler(NetworkPolicies policies, AuditSpool audit, TimeProvider time, ILogger<OrganizationAllowlistHandler> logger)
    : AuthorizationHandler<OrganizationAllowlistRequirement>
{
    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, OrganizationAllowlistRequirement requirement)
    {
        if (context.Resource is not HttpContext http) return;
        if (http.Principal() is not { OrganizationId: { } organization } principal)
        {
            context.Succeed(requirement);
            return;
        }

        NetworkPolicy policy;
        try
        {
            policy = await policies.GetAsync(organization, http.RequestAborted);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            LogUnavailable(logger, exception.GetType().Name);
            context.Fail(new RouteRefusal(this, 503, "policy-unavailable", "The organization's network policy cannot be read right now", "Try again shortly."));
            return;
        }

        var client = http.ClientAddress();
        if (policy.Allows(client))
        {
            context.Succeed(requirement);
            return;
        }

        LogRefused(logger, organization);
        audit.Enqueue(new AuditRecorded
        {
            OccurredAt = time.GetUtcNow(),
            OrganizationId = organization,
            Actor = principal.Actor,
            Action = "organization.request-from-disallowed-ip",
            Target = organization,
            Outcome = "denied",
            Ip = client?.ToString(),
            RequestId = http.TraceIdentifier,
        });
        context.Fail(new RouteRefusal(this, 403, "ip-not-allowed", "Not allowed from this address", "The organization does not allow requests from the address this one came from."));
    }

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "A request for {OrganizationId} came from an address outside its allowlist")]
    private static partial void LogRefused(ILogger logger, string organizationId);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "The keys service could not be reached for a network policy ({ErrorType})")]
    private static partial void LogUnavailable(ILogger logger, string errorType);
}
