using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Residency.Model;
using Platform.Residency.Scans;
using Platform.Residency.Security;
using Platform.Security.Authentication;

namespace Platform.Residency.Apis;

/// <summary>
/// The leak scan (issue 17 item 6): <c>GET /v1/residency/scan</c> answers a signed report (a C2SP signed note,
/// <c>text/plain</c>) of what every region's storage holds of the organization and whether any of it is outside its
/// region. An Owner or Admin scans their own organization through the gateway (naming another is refused); an
/// operator's residency credential scans any listed organization, named with <c>?organization=</c>, directly. Each
/// scan is an audit entry. <c>GET /v1/residency/report-keys</c> publishes the verifier keys.
/// </summary>
public static class ScanApi
{
    public const string ScannedAction = "residency.scanned";

    public static IEndpointRouteBuilder MapScanApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/residency/scan", Scan).WithName("ScanResidency").RequireAuthorization(ResidencyPolicies.Scan);
        app.MapGet("/v1/residency/report-keys", Keys).WithName("GetResidencyReportKeys").AllowAnonymous();
        return app;
    }

    internal static Ok<ReportKeysResponse> Keys(ReportSigner signer) => TypedResults.Ok(new ReportKeysResponse(signer.VerifierKeys));

    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> Scan(
        string? organization, HttpContext http, LeakScanner scanner, ReportSigner signer, ISecurityAudit audit, CancellationToken cancellationToken)
    {
        var user = http.User;
        string organizationId;
        if (user.IsOperator(ResidencyCredentials.Operator))
        {
            if (!OrganizationIds.IsWellFormed(organization)) return await Problems.InvalidAsync(http, "Name the organization to scan: ?organization=org_….");
            if (!user.OperatorMayUse(organization!))
                return await Problems.RefuseAsync(http, 403, "forbidden", "Not allowed", "This credential may not scan that organization.");
            organizationId = organization!;
        }
        else
        {
            organizationId = user.OrganizationId()!;
            if (organization is not null && organization != organizationId)
                return await Problems.RefuseAsync(http, 403, "forbidden", "Not allowed", "A member scans their own organization only.");
        }

        var (report, unreachable) = await scanner.ScanAsync(organizationId, user.Actor()!, cancellationToken);
        if (report is null)
        {
            return await Problems.RefuseAsync(http, 503, "region-storage-unavailable", "A region's storage did not answer",
                "Every region must answer for the report to prove anything; nothing was reported. Try again later.",
                new Dictionary<string, object?> { ["regions"] = unreachable });
        }

        await audit.RecordAsync(new SecurityAuditEntry(user.Actor()!, ScannedAction, organizationId, report.ScanId, "success", user.ClientAddress(), Refusals.RequestId(http),
            new()
            {
                ["clean"] = report.Clean ? "true" : "false",
                ["leaks"] = report.Leaks.Count.ToString(CultureInfo.InvariantCulture),
                ["regions"] = string.Join(",", report.Regions.Select(r => r.Region)),
            }), cancellationToken);
        return TypedResults.Text(signer.Sign(report), "text/plain; charset=utf-8");
    }
}

public sealed record ReportKeysResponse(IReadOnlyList<string> Keys);
