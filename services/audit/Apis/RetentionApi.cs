using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Audit.Log;
using Platform.Audit.Retention;
using Platform.Audit.Security;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// An organization's audit log retention (README "Retention"): its readers see the period and where the kept log
/// begins; its Owners change the period within the plan's bounds, and the change is audited.
/// </summary>
public static class RetentionApi
{
    public const string ChangedAction = "audit.retention.changed";

    public static IEndpointRouteBuilder MapRetentionApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit/retention").RequireAuthorization(AuditPolicies.Read);
        api.MapGet("", Get).WithName("GetAuditRetention");
        api.MapPut("", Set).WithName("SetAuditRetention");
        return app;
    }

    public sealed record RetentionRequest(int? Days);

    public sealed record RetentionView(string Organization, int Days, bool IsDefault, int MinDays, int MaxDays, long PrunedBefore);

    internal static async Task<Results<Ok<RetentionView>, ProblemHttpResult>> Get(
        string? organization, HttpContext http, RetentionStore store, LogStore logs, IOptions<RetentionOptions> options, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        if (log is null) return Invalid("Give the 'organization' whose retention this is.");
        return TypedResults.Ok(await ViewAsync(log, store, logs, options.Value, cancellationToken));
    }

    internal static async Task<Results<Ok<RetentionView>, ProblemHttpResult>> Set(
        string? organization, RetentionRequest? body, HttpContext http, RetentionStore store, LogStore logs, IOptions<RetentionOptions> options,
        ISecurityAudit audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var (allowed, log, refusal) = await AuditAccess.OrganizationAsync(http, organization);
        if (!allowed) return refusal!;
        if (!AuditPolicies.IsCustomer(http.User) || !http.User.HasRole(["Owner"]))
        {
            return await http.RefuseAsync("insufficient-role", "Your role does not allow this", "The audit log's retention is changed by the organization's Owners.");
        }

        var settings = options.Value;
        if (body?.Days is not { } days) return Invalid("Send { \"days\": <days to keep audit entries> }.");
        if (days < settings.MinDays || days > settings.MaxDays)
        {
            return TypedResults.Problem(statusCode: 400, type: Problems.RetentionOutOfBounds, title: "The retention period is outside the plan's bounds",
                detail: $"Audit entries are kept from {settings.MinDays} to {settings.MaxDays} days.");
        }

        var change = ChangeContext.From(http, http.User.Actor() ?? "anonymous");
        var previous = await store.SetAsync(log!, days, change.Actor, time.GetUtcNow(), cancellationToken);
        await audit.RecordAsync(new SecurityAuditEntry(change.Actor, ChangedAction, log, log, "success", change.Ip, change.RequestId, new()
        {
            ["days"] = days.ToString(CultureInfo.InvariantCulture),
            ["previousDays"] = (previous ?? settings.DefaultDays).ToString(CultureInfo.InvariantCulture),
        }), cancellationToken);
        return TypedResults.Ok(await ViewAsync(log!, store, logs, settings, cancellationToken));
    }

    private static async Task<RetentionView> ViewAsync(string organization, RetentionStore store, LogStore logs, RetentionOptions settings, CancellationToken cancellationToken)
    {
        var days = await store.DaysAsync(organization, cancellationToken);
        var (start, _) = await logs.PrunedPrefixAsync(organization, cancellationToken);
        return new RetentionView(organization, days ?? settings.DefaultDays, days is null, settings.MinDays, settings.MaxDays, start);
    }

    private static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(statusCode: 400, type: Problems.InvalidQuery, title: "The request is not valid", detail: detail);
}
