using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Retention.Backups;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// The platform's backups (issue 16 item 3), for backup operators on direct calls only (<c>Retention:Backups:Operators</c>;
/// the gateway has no route here, and no organization's token or other operator credential reaches it): take, list and
/// verify sets; restore one (operators with <c>Restore</c> only) into fresh, empty targets. Every use is audited.
/// </summary>
public static class BackupsApi
{
    private const int MaxBodyBytes = 16 * 1024;

    public static IEndpointRouteBuilder MapBackupsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/retention/backups");
        api.MapPost("/", Create).WithName("CreateBackup").RequireAuthorization(RetentionPolicies.Backups);
        api.MapGet("/", List).WithName("ListBackups").RequireAuthorization(RetentionPolicies.Backups);
        api.MapPost("/{backupId}/verify", Verify).WithName("VerifyBackup").RequireAuthorization(RetentionPolicies.Backups);
        api.MapPost("/{backupId}/restore", Restore).WithName("RestoreBackup").RequireAuthorization(RetentionPolicies.BackupRestore);
        return app;
    }

    internal static async Task<Results<Created<BackupManifest>, ProblemHttpResult>> Create(
        HttpContext http, IOptions<BackupOptions> options, BackupWriter writer, ISecurityAudit audit, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled) return await NotConfiguredAsync(http);
        var manifest = await writer.CreateAsync(http.User.Actor()!, cancellationToken);
        await audit.RecordAsync(Entry(http, BackupAudit.Created, manifest.Id, "success", new()
        {
            ["databases"] = string.Join(",", manifest.Databases.Select(d => d.Name)),
            ["blobRoots"] = string.Join(",", manifest.BlobRoots.Select(b => b.Name)),
            ["expiresAt"] = manifest.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
        }), cancellationToken);
        return TypedResults.Created($"/v1/retention/backups/{manifest.Id}", manifest);
    }

    internal static async Task<Results<Ok<BackupListResponse>, ProblemHttpResult>> List(HttpContext http, IOptions<BackupOptions> options, BackupCatalog catalog, BackupKeys keys)
    {
        if (!options.Value.Enabled) return await NotConfiguredAsync(http);
        return TypedResults.Ok(new BackupListResponse(keys.Signer.VerifierKey, options.Value.Retention, options.Value.DeletionBound, catalog.List()));
    }

    internal static async Task<Results<Ok<BackupVerifyResponse>, ProblemHttpResult>> Verify(
        string backupId, HttpContext http, IOptions<BackupOptions> options, BackupCatalog catalog, ISecurityAudit audit, CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled) return await NotConfiguredAsync(http);
        if (!catalog.Exists(backupId)) return await NotFoundAsync(http);
        try
        {
            var manifest = await catalog.VerifyAsync(backupId, cancellationToken);
            await audit.RecordAsync(Entry(http, BackupAudit.Verified, backupId, "success", []), cancellationToken);
            return TypedResults.Ok(new BackupVerifyResponse(backupId, true, manifest.Files.Count(), manifest.CreatedAt, manifest.ExpiresAt));
        }
        catch (BackupInvalidException invalid)
        {
            await audit.RecordAsync(Entry(http, BackupAudit.Verified, backupId, "failure", new() { ["problem"] = invalid.Message }), cancellationToken);
            return Invalid(invalid);
        }
    }

    internal static async Task<Results<Ok<RestoreReport>, ProblemHttpResult>> Restore(
        string backupId, HttpContext http, IOptions<BackupOptions> options, BackupCatalog catalog, BackupRestorer restorer, ISecurityAudit audit,
        CancellationToken cancellationToken)
    {
        if (!options.Value.Enabled) return await NotConfiguredAsync(http);
        if (!catalog.Exists(backupId)) return await NotFoundAsync(http);
        var (request, present, problem) = await JsonBody.ReadAsync<RestoreRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return await Problems.InvalidAsync(http, "A JSON body { \"databases\": { name: connection string }, \"blobRoots\": { name: absolute folder } } is required.");
        try
        {
            var report = await restorer.RestoreAsync(backupId, new RestoreTargets(request!.Databases ?? [], request.BlobRoots ?? []), cancellationToken);
            await audit.RecordAsync(Entry(http, BackupAudit.Restored, backupId, "success", new()
            {
                ["databases"] = string.Join(",", report.Databases),
                ["blobRoots"] = string.Join(",", report.BlobRoots),
                ["unrecoverableObjects"] = report.Unrecoverable.Count.ToString(CultureInfo.InvariantCulture),
            }), cancellationToken);
            return TypedResults.Ok(report);
        }
        catch (BackupInvalidException invalid)
        {
            await audit.RecordAsync(Entry(http, BackupAudit.Restored, backupId, "failure", new() { ["problem"] = invalid.Message }), cancellationToken);
            return Invalid(invalid);
        }
        catch (RestoreRefusedException refused)
        {
            var status = refused.Slug switch { "invalid-request" => 400, "restore-target-unavailable" => 503, _ => 409 };
            return await Problems.RefuseAsync(http, status, refused.Slug, "The restore cannot go there", refused.Message);
        }
    }

    private static ProblemHttpResult Invalid(BackupInvalidException invalid) =>
        TypedResults.Problem(statusCode: 422, type: PlatformProblems.Base + "backup-invalid", title: "The backup set failed verification", detail: invalid.Message);

    private static Task<ProblemHttpResult> NotConfiguredAsync(HttpContext http) =>
        Problems.RefuseAsync(http, 503, "backups-not-configured", "Backups are not configured", "This deployment has no Retention:Backups:Folder.");

    private static Task<ProblemHttpResult> NotFoundAsync(HttpContext http) =>
        Problems.RefuseAsync(http, 404, "backup-not-found", "No such backup", "There is no backup set by that id.");

    private static SecurityAuditEntry Entry(HttpContext http, string action, string target, string outcome, Dictionary<string, string> details) =>
        new(http.User.Actor()!, action, null, target, outcome, http.User.ClientAddress(), Refusals.RequestId(http), details);
}

public sealed record BackupListResponse(string VerifierKey, TimeSpan Retention, TimeSpan DeletionBound, IReadOnlyList<BackupSummary> Items);

public sealed record BackupVerifyResponse(string Id, bool Verified, int Files, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

public sealed record RestoreRequest(Dictionary<string, string>? Databases, Dictionary<string, string>? BlobRoots);
