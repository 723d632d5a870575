using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Platform.Retention.Closure;
using Platform.Retention.Policies;
using Platform.Retention.Purge;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// Account closure of the token's organization (SPEC RET-CLOSE): an Owner with a recent MFA closes it (read-only for the
/// grace period, then deleted everywhere) or cancels that within the grace period; Owners and Admins see its status,
/// the services' answers and, once closed, the signed final receipt. There is no organization in the path.
/// </summary>
public static class ClosureApi
{
    public static IEndpointRouteBuilder MapClosureApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/retention/closure");
        api.MapGet("/", GetClosure).WithName("GetOrganizationClosure").RequireAuthorization(RetentionPolicies.Manage);
        api.MapPost("/", RequestClosure).WithName("CloseOrganization").RequireAuthorization(RetentionPolicies.Close);
        api.MapDelete("/", CancelClosure).WithName("CancelOrganizationClosure").RequireAuthorization(RetentionPolicies.Close);
        return app;
    }

    internal static async Task<Results<Ok<ClosureResponse>, ProblemHttpResult>> GetClosure(
        HttpContext http, NpgsqlDataSource dataSource, ReceiptSigner signer, CancellationToken cancellationToken)
    {
        var organizationId = http.User.OrganizationId()!;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        if (await ClosureStore.CurrentAsync(connection, null, organizationId, cancellationToken) is not { } closure)
            return TypedResults.Problem(statusCode: 404, type: PlatformProblems.Base + "no-closure", title: "Not closing", detail: "Your organization has not been closed.");
        var answers = await ClosureStore.AnswersAsync(connection, null, closure.Id, cancellationToken);
        return TypedResults.Ok(ClosureResponse.From(closure, answers.Select(a => new ClosureAnswerResponse(a.Participant, a.AnsweredAt)).ToList(), signer.VerifierKey));
    }

    internal static async Task<Results<Accepted<ClosureResponse>, ProblemHttpResult>> RequestClosure(
        HttpContext http, ClosureManager closures, ReceiptSigner signer, CancellationToken cancellationToken)
    {
        if (http.Request.ContentLength is > 0) return await Problems.InvalidAsync(http, "Closing takes no body.");
        var (closure, change) = await closures.RequestAsync(http.User.OrganizationId()!, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        if (change == ClosureChange.AlreadyClosing)
        {
            return await Problems.RefuseAsync(http, 409, closure.Status == ClosureStatuses.Pending ? "organization-closing" : "organization-closed", "Already closed",
                $"Your organization's closure {closure.Id} is {closure.Status}; nothing changed. See GET /v1/retention/closure.",
                new Dictionary<string, object?> { ["closureId"] = closure.Id, ["status"] = closure.Status, ["graceEndsAt"] = closure.GraceEndsAt });
        }

        return TypedResults.Accepted("/v1/retention/closure", ClosureResponse.From(closure, [], signer.VerifierKey));
    }

    internal static async Task<Results<Ok<ClosureResponse>, ProblemHttpResult>> CancelClosure(
        HttpContext http, ClosureManager closures, ReceiptSigner signer, CancellationToken cancellationToken)
    {
        var (closure, change) = await closures.CancelAsync(http.User.OrganizationId()!, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        return change switch
        {
            ClosureChange.NoClosure => await Problems.RefuseAsync(http, 404, "no-closure", "Not closing", "Your organization has no closure to cancel; nothing changed."),
            ClosureChange.GraceOver => await Problems.RefuseAsync(http, 409, "closure-grace-over", "Too late to cancel",
                $"The grace period ended at {closure!.GraceEndsAt:O}; the closure is {closure.Status} and can no longer be cancelled. Nothing changed.",
                new Dictionary<string, object?> { ["closureId"] = closure.Id, ["status"] = closure.Status, ["graceEndsAt"] = closure.GraceEndsAt }),
            _ => TypedResults.Ok(ClosureResponse.From(closure!, [], signer.VerifierKey)),
        };
    }
}

/// <summary>
/// A closure: <see cref="Status"/> <c>pending</c> (read-only until <see cref="GraceEndsAt"/>, cancellable), <c>deleting</c>,
/// <c>closed</c> (then <see cref="Receipt"/> is the signed JSON text and <see cref="Signature"/> its Ed25519 signature,
/// verified with <see cref="VerifierKey"/>) or <c>cancelled</c>; <see cref="Answers"/>: the services that answered.
/// </summary>
public sealed record ClosureResponse(
    string OrganizationId, string ClosureId, string Status, DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset GraceEndsAt,
    DateTimeOffset? CancelledAt, string? CancelledBy, DateTimeOffset? DeletionStartedAt, DateTimeOffset? ClosedAt,
    IReadOnlyList<ClosureAnswerResponse> Answers, string? Receipt, string? Signature, string VerifierKey)
{
    internal static ClosureResponse From(OrganizationClosure closure, IReadOnlyList<ClosureAnswerResponse> answers, string verifierKey) => new(
        closure.OrganizationId, closure.Id, closure.Status, closure.RequestedAt, closure.RequestedBy, closure.GraceEndsAt, closure.CancelledAt, closure.CancelledBy,
        closure.DeletingSince, closure.ClosedAt, answers, closure.Receipt, closure.Signature, verifierKey);
}

public sealed record ClosureAnswerResponse(string Participant, DateTimeOffset AnsweredAt);
