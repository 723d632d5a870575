using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Audit.Security;
using Platform.Messaging;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// Operators' view of the audit queue's dead letters: what could not be ingested and why, and a replay once the
/// cause is fixed. Only a reader of every organization ("*") is an operator here.
/// </summary>
public static class DeadLetterApi
{
    public static IEndpointRouteBuilder MapDeadLetterApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit/dead-letters").RequireAuthorization(AuditPolicies.Operate);
        api.MapGet("/", List).WithName("ListAuditDeadLetters");
        api.MapPost("/{messageId}/replay", Replay).WithName("ReplayAuditDeadLetter");
        return app;
    }

    internal static async Task<Results<Ok<IReadOnlyList<DeadLetter>>, ProblemHttpResult>> List(
        HttpRequest request, DeadLetters deadLetters, int? limit, CancellationToken cancellationToken)
    {
        if (Operator(request) is { } refusal) return refusal;
        if (limit is < 1 or > DeadLetters.MaxListed)
        {
            return TypedResults.Problem(statusCode: 400, type: Problems.InvalidQuery, title: "The query has invalid parameters",
                detail: $"'limit' must be a whole number from 1 to {DeadLetters.MaxListed}.");
        }

        return TypedResults.Ok(await deadLetters.ListAsync(limit ?? 100, cancellationToken));
    }

    internal static async Task<Results<Accepted, ProblemHttpResult>> Replay(
        HttpRequest request, DeadLetters deadLetters, string messageId, CancellationToken cancellationToken)
    {
        if (Operator(request) is { } refusal) return refusal;
        if (messageId.Length > 128 || !messageId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':'))
        {
            return TypedResults.Problem(statusCode: 400, type: Problems.InvalidQuery, title: "Not a message id",
                detail: "A message id is at most 128 letters, digits and '_-.:'.");
        }

        return await deadLetters.ReplayAsync(messageId, cancellationToken)
            ? TypedResults.Accepted((string?)null)
            : TypedResults.Problem(statusCode: 404, type: Problems.NotFound, title: "No such dead letter",
                detail: "No message with that id is in the audit service's dead-letter queue.");
    }

    private static ProblemHttpResult? Operator(HttpRequest request) =>
        request.HttpContext.User.HasClaim(PlatformClaims.OperatorOrganization, "*")
            ? null
            : TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed", detail: "Dead letters are for operators (a reader of every organization).");
}
