using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Platform.Retention.Dsar;
using Platform.Retention.Holds;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// Data-subject requests of the token's organization (SPEC RET-DSAR): Owners and Admins with a recent MFA register one
/// about a member (by user id or email) and extend it once; Owners and Admins list them with their deadline and whether
/// they are overdue. A person the organization does not hold, and another organization's request, are 404.
/// </summary>
public static partial class SubjectRequestsApi
{
    private const int MaxBodyBytes = 4096;
    private const int MaxReasonLength = 1000;

    public static IEndpointRouteBuilder MapSubjectRequestsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/retention/subject-requests");
        api.MapGet("/", ListRequests).WithName("ListSubjectRequests").RequireAuthorization(RetentionPolicies.Manage);
        api.MapGet("/{requestId}", GetRequest).WithName("GetSubjectRequest").RequireAuthorization(RetentionPolicies.Manage);
        api.MapGet("/{requestId}/archive", DownloadArchive).WithName("DownloadSubjectArchive").RequireAuthorization(RetentionPolicies.Manage);
        api.MapPost("/", RegisterRequest).WithName("RegisterSubjectRequest").RequireAuthorization(RetentionPolicies.Change);
        api.MapPost("/{requestId}/extend", ExtendRequest).WithName("ExtendSubjectRequest").RequireAuthorization(RetentionPolicies.Change);
        return app;
    }

    internal static async Task<Ok<SubjectRequestsResponse>> ListRequests(HttpContext http, NpgsqlDataSource dataSource, TimeProvider time, CancellationToken cancellationToken)
    {
        var organizationId = http.User.OrganizationId()!;
        var now = time.GetUtcNow();
        var requests = await SubjectRequestStore.ListAsync(dataSource, organizationId, cancellationToken);
        return TypedResults.Ok(new SubjectRequestsResponse(organizationId, requests.Count(r => r.Overdue(now)), requests.Select(r => SubjectRequestResponse.From(r, now)).ToList()));
    }

    internal static async Task<Results<Ok<SubjectRequestResponse>, ProblemHttpResult>> GetRequest(
        string requestId, HttpContext http, NpgsqlDataSource dataSource, SubjectParts parts, TimeProvider time, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var request = IdPattern().IsMatch(requestId) ? await SubjectRequestStore.FindAsync(connection, null, http.User.OrganizationId()!, requestId, cancellationToken) : null;
        if (request is null) return await NotFoundAsync(http);
        return TypedResults.Ok(SubjectRequestResponse.From(request, time.GetUtcNow()) with { Parts = await parts.ListAsync(connection, request, cancellationToken), VerifierKey = parts.VerifierKey });
    }

    /// <summary>
    /// The archive of a completed access/portability request as its signed JSON text (<c>Platform-Archive-Signature</c>:
    /// the Ed25519 signature, verifiable with <c>Platform-Archive-Verifier-Key</c>); audited. Not completed yet: 409
    /// <c>archive-not-ready</c> naming the services that have not answered; an erasure has none (404).
    /// </summary>
    internal static async Task<Results<FileContentHttpResult, ProblemHttpResult>> DownloadArchive(
        string requestId, HttpContext http, NpgsqlDataSource dataSource, SubjectParts parts, CancellationToken cancellationToken)
    {
        var organizationId = http.User.OrganizationId()!;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var request = IdPattern().IsMatch(requestId) ? await SubjectRequestStore.FindAsync(connection, null, organizationId, requestId, cancellationToken) : null;
        if (request is null || !request.IsExport) return await NotFoundAsync(http);
        if (request.Status != "completed")
        {
            var missing = (await parts.ListAsync(connection, request, cancellationToken)).Where(p => p.AnsweredAt is null).Select(p => p.Participant);
            return await Problems.RefuseAsync(http, 409, "archive-not-ready", "The archive is not ready",
                $"Not every service has answered yet; missing: {string.Join(", ", missing)}. They are asked again until they do.");
        }

        var (text, signature) = await parts.OpenArchiveAsync(connection, request, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        http.Response.Headers["Platform-Archive-Signature"] = signature;
        http.Response.Headers["Platform-Archive-Verifier-Key"] = parts.VerifierKey;
        return TypedResults.File(text, "application/json", $"{request.Id}.json");
    }

    internal static async Task<Results<Created<SubjectRequestResponse>, ProblemHttpResult>> RegisterRequest(
        HttpContext http, SubjectLookup subjects, SubjectRequestManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, present, problem) = await JsonBody.ReadAsync<RegisterSubjectRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return await Problems.InvalidAsync(http, "A JSON body { \"type\", \"userId\" or \"email\" } is required.");
        if (!SubjectRequest.Types.Contains(body!.Type)) return await Problems.InvalidAsync(http, $"type must be one of: {string.Join(", ", SubjectRequest.Types)}.");
        if ((body.UserId is null) == (body.Email is null)) return await Problems.InvalidAsync(http, "Name the person by exactly one of userId or email.");
        if (body.UserId is { } id && !IdPattern().IsMatch(id)) return await Problems.InvalidAsync(http, "userId is an identity user id (usr_…).");
        if (body.Email is { Length: > 320 } || body.Email?.Any(char.IsControl) == true) return await Problems.InvalidAsync(http, "email is at most 320 characters.");

        var organizationId = http.User.OrganizationId()!;
        var (check, userId, email) = await subjects.FindAsync(organizationId, body.UserId, body.Email, http, cancellationToken);
        switch (check)
        {
            case TargetCheck.NotFound:
                return await Problems.RefuseAsync(http, 404, "subject-not-found", "No such person",
                    "Your organization holds no member by that user id or email. Nothing was registered.");
            case TargetCheck.Unavailable:
                return await Problems.RefuseAsync(http, 503, "subject-lookup-unavailable", "The person could not be looked up",
                    "Identity did not answer. Nothing was registered; try again.");
        }

        if (body.IncludeObjects && body.Type == SubjectRequest.Erasure) return await Problems.InvalidAsync(http, "includeObjects applies to access and portability requests only.");
        var request = await manager.RegisterAsync(organizationId, userId!, email!, body.Type, body.IncludeObjects, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        return TypedResults.Created($"/v1/retention/subject-requests/{request.Id}", SubjectRequestResponse.From(request, time.GetUtcNow()));
    }

    internal static async Task<Results<Ok<SubjectRequestResponse>, ProblemHttpResult>> ExtendRequest(
        string requestId, HttpContext http, SubjectRequestManager manager, TimeProvider time, CancellationToken cancellationToken)
    {
        var (body, present, problem) = await JsonBody.ReadAsync<ExtendSubjectRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present || string.IsNullOrWhiteSpace(body!.Reason) || body.Reason.Length > MaxReasonLength || body.Reason.Any(char.IsControl))
            return await Problems.InvalidAsync(http, $"A JSON body {{ \"reason\" }} is required: 1 to {MaxReasonLength} characters (GDPR Art. 12(3): the person is told why).");
        if (!IdPattern().IsMatch(requestId)) return await NotFoundAsync(http);

        var (request, alreadyExtended) = await manager.ExtendAsync(http.User.OrganizationId()!, requestId, body.Reason.Trim(), ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        if (request is null) return await NotFoundAsync(http);
        if (alreadyExtended)
            return await Problems.RefuseAsync(http, 409, "subject-request-already-extended", "Already extended",
                $"This request was extended on {request.ExtendedAt:O}; a deadline is extended once only. Nothing changed.");
        return TypedResults.Ok(SubjectRequestResponse.From(request, time.GetUtcNow()));
    }

    private static Task<ProblemHttpResult> NotFoundAsync(HttpContext http) =>
        Problems.RefuseAsync(http, 404, "not-found", "No such request", "Your organization has no data-subject request with that id.");

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex IdPattern();
}

/// <summary>A request about one member: <c>type</c> access, portability or erasure; the person by <c>userId</c> or <c>email</c>;
/// <c>includeObjects</c>: the organization allows the objects the person uploaded into an access/portability archive (their metadata).</summary>
public sealed record RegisterSubjectRequest(string Type, string? UserId = null, string? Email = null, bool IncludeObjects = false);

public sealed record ExtendSubjectRequest(string Reason);

public sealed record SubjectRequestResponse(
    string Id, string Type, string Status, string SubjectUserId, string SubjectEmail, DateTimeOffset ReceivedAt, string ReceivedBy, DateTimeOffset DueAt, bool Overdue,
    DateTimeOffset? ExtendedAt, string? ExtendedBy, string? ExtensionReason, DateTimeOffset? CompletedAt, bool IncludeObjects, DateTimeOffset? AskedAt, int Attempts,
    string? Receipt, string? Signature)
{
    /// <summary>Each participant service and when it answered (null: missing, asked again); only on a single request.</summary>
    public IReadOnlyList<SubjectPartResponse>? Parts { get; init; }

    /// <summary>The key that verifies the erasure receipt's and the archive's signatures.</summary>
    public string? VerifierKey { get; init; }

    internal static SubjectRequestResponse From(SubjectRequest r, DateTimeOffset now) => new(
        r.Id, r.Type, r.Status, r.SubjectUserId, r.SubjectEmail, r.ReceivedAt, r.ReceivedBy, r.DueAt, r.Overdue(now), r.ExtendedAt, r.ExtendedBy, r.ExtensionReason, r.CompletedAt,
        r.IncludeObjects, r.AskedAt, r.Attempts, r.Receipt, r.Signature);
}

public sealed record SubjectPartResponse(string Participant, DateTimeOffset? AnsweredAt);

public sealed record SubjectRequestsResponse(string OrganizationId, int Overdue, IReadOnlyList<SubjectRequestResponse> Items);
