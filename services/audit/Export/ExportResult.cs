using System.Globalization;
using Microsoft.Net.Http.Headers;
using Platform.Audit.Apis;
using Platform.Security.Authentication;

namespace Platform.Audit.Export;

/// <summary>
/// The answer to an allowed export: an attachment streamed as it is read (<see cref="AuditExporter"/>), then an
/// <c>audit.exported</c> entry in the log of the organization exported (format, filters, rows, and whether it ended).
/// A failure after the first bytes ends the response without its final chunk, so no client takes a cut export for a
/// whole one.
/// </summary>
internal sealed class ExportResult(AuditQuery query) : IResult
{
    public AuditQuery Query => query;

    public async Task ExecuteAsync(HttpContext http)
    {
        var format = ExportFormat.Create(query.Format!);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = format.ContentType;
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileName = FileName(format) }.ToString();
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";

        long rows = 0;
        var outcome = "failed";
        try
        {
            rows = await http.RequestServices.GetRequiredService<AuditExporter>().ExportAsync(query, format, response.BodyWriter, http.RequestAborted);
            outcome = "succeeded";
        }
        finally
        {
            var user = http.User;
            await http.RequestServices.GetRequiredService<ISecurityAudit>().RecordAsync(new SecurityAuditEntry(
                user.Actor() ?? "anonymous", "audit.exported", query.Organization, http.Request.Path.Value, outcome, user.ClientAddress(), Refusals.RequestId(http),
                new()
                {
                    ["format"] = query.Format!,
                    ["rows"] = rows.ToString(CultureInfo.InvariantCulture),
                    ["filters"] = Filters(),
                }), CancellationToken.None);
        }
    }

    private string FileName(ExportFormat format)
    {
        var organization = query.Organization is { Length: <= 64 } id && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? id : "all";
        return $"audit-{organization}.{format.Extension}";
    }

    private string Filters() => string.Join('&', new (string Name, object? Value)[]
        {
            ("actor", query.Actor), ("action", query.Action), ("target", query.Target), ("ip", query.Ip), ("requestId", query.RequestId),
            ("outcome", query.Outcome), ("from", query.From?.ToString("O", CultureInfo.InvariantCulture)), ("to", query.To?.ToString("O", CultureInfo.InvariantCulture)),
        }
        .Where(f => f.Value is not null)
        .Select(f => $"{f.Name}={Uri.EscapeDataString(f.Value!.ToString()!)}"));
}
