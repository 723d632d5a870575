using System.Globalization;
using Microsoft.Net.Http.Headers;
using Platform.Audit.Log;
using Platform.Security.Authentication;

namespace Platform.Audit.Export;

/// <summary>
/// The answer to an allowed bundle request: the bundle streamed as it is read (<see cref="AuditBundler"/>), then an
/// <c>audit.exported</c> entry (format <c>bundle</c>) in the organization's log. As with the export, a failure after
/// the first bytes ends the response without its final chunk.
/// </summary>
internal sealed class BundleResult(string? organization, string logId, string origin, StoredCheckpoint checkpoint) : IResult
{
    public async Task ExecuteAsync(HttpContext http)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/x-ndjson; charset=utf-8";
        var name = organization is { Length: <= 64 } id && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? id : "none";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = $"audit-bundle-{name}.ndjson" }.ToString();
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";

        long rows = 0;
        var outcome = "failed";
        try
        {
            rows = await http.RequestServices.GetRequiredService<AuditBundler>().WriteAsync(logId, origin, checkpoint, response.BodyWriter, http.RequestAborted);
            outcome = "succeeded";
        }
        finally
        {
            var user = http.User;
            await http.RequestServices.GetRequiredService<ISecurityAudit>().RecordAsync(new SecurityAuditEntry(
                user.Actor() ?? "anonymous", "audit.exported", organization, http.Request.Path.Value, outcome, user.ClientAddress(), Refusals.RequestId(http),
                new()
                {
                    ["format"] = "bundle",
                    ["rows"] = rows.ToString(CultureInfo.InvariantCulture),
                    ["treeSize"] = checkpoint.TreeSize.ToString(CultureInfo.InvariantCulture),
                }), CancellationToken.None);
        }
    }
}
