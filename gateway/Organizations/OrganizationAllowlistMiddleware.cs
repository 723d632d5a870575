using Platform.Gateway.ApiKeys;
using Platform.Gateway.Auditing;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Events;

namespace Platform.Gateway.Organizations;

/// <summary>
/// Applies the organization's IP allowlist to every request made for it, whatever the credential (SPEC GW-IP). A
/// refusal is a 403 problem and an audit event.
/// </summary>
internal sealed partial class OrganizationAllowlistMiddleware(
    RequestDelegate next, NetworkPolicies policies, AuditSpool audit, TimeProvider time, ILogger<OrganizationAllowlistMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Items.TryGetValue("platform.organization", out var value) || value is not string organization)
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
            await Problem(context, 503, "policy-unavailable", "The organization's network policy cannot be read right now", "Try again shortly.");
            return;
        }

        var client = context.ClientAddress();
        if (policy.Allows(client))
        {
            await next(context);
            return;
        }

        var actor = context.Items.TryGetValue("platform.actor", out var a) && a is string s ? s : "anonymous";
        LogRefused(logger, organization);
        audit.Enqueue(new AuditRecorded
        {
            OccurredAt = time.GetUtcNow(),
            OrganizationId = organization,
            Actor = actor,
            Action = "organization.request-from-disallowed-ip",
            Target = organization,
            Outcome = "denied",
            Ip = client?.ToString(),
            RequestId = context.TraceIdentifier,
        });
        await Problem(context, 403, "ip-not-allowed", "Not allowed from this address", "The organization does not allow requests from the address this one came from.");
    }

    private static Task Problem(HttpContext context, int status, string type, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Results.Problem(statusCode: status, type: ApiKeyMiddleware.ProblemBase + type, title: title, detail: detail).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 4204, Level = LogLevel.Warning, Message = "A request for {OrganizationId} came from an address outside its allowlist")]
    private static partial void LogRefused(ILogger logger, string organizationId);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Error, Message = "The keys service could not be reached for a network policy ({ErrorType})")]
    private static partial void LogUnavailable(ILogger logger, string errorType);
}
