using Platform.Gateway.Auditing;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;
using Platform.Gateway.Problems;

namespace Platform.Gateway.Organizations;

/// <summary>
/// Applies the IP allowlist of the principal's organization to every request it makes, by key or by access token
/// (SPEC GW-IP): the organization of the request's one credential, never of another. A refusal is a 403 problem and an
/// audit event naming that principal.
/// </summary>
internal sealed partial class OrganizationAllowlistMiddleware(
    RequestDelegate next, NetworkPolicies policies, AuditSpool audit, TimeProvider time, ILogger<OrganizationAllowlistMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Principal() is not { OrganizationId: { } organization } principal)
        {
            await next(context);
            return;
        }

        NetworkPolicy policy;
        try
        {
            policy = await policies.GetAsync(organization, context.RequestAborted);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            LogUnavailable(logger, exception.GetType().Name);
            await EdgeProblem.WriteAsync(context, 503, "policy-unavailable", "The organization's network policy cannot be read right now", "Try again shortly.");
            return;
        }

        var client = context.ClientAddress();
        if (policy.Allows(client))
        {
            await next(context);
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
            RequestId = context.TraceIdentifier,
        });
        await EdgeProblem.WriteAsync(context, 403, "ip-not-allowed", "Not allowed from this address", "The organization does not allow requests from the address this one came from.");
    }

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "A request for {OrganizationId} came from an address outside its allowlist")]
    private static partial void LogRefused(ILogger logger, string organizationId);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "The keys service could not be reached for a network policy ({ErrorType})")]
    private static partial void LogUnavailable(ILogger logger, string errorType);
}
