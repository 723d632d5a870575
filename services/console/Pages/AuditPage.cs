using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;
using static Platform.SecurityConsole.Pages.OverviewPage;

namespace Platform.SecurityConsole.Pages;

/// <summary>The organization's audit log (audit service; Owners, Admins, Auditors): filters, paging, each entry's detail, export.</summary>
internal static class AuditPage
{
    private static readonly string[] Filters = ["action", "actor", "target", "ip", "requestId", "outcome", "from", "to"];

    public static void MapAuditPage(this RouteGroupBuilder org)
    {
        org.MapGet("/audit", Show);
        org.MapGet("/audit/export", Export);
    }

    private static string Query(HttpContext http, bool withCursor)
    {
        var parts = new List<string>();
        foreach (var name in Filters.Concat(withCursor ? ["cursor"] : Array.Empty<string>()))
        {
            if (http.Request.Query[name].ToString() is { Length: > 0 and <= 500 } value) parts.Add($"{name}={U(value)}");
        }

        return string.Join('&', parts);
    }

    private static async Task<IResult> Show(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var query = Query(http, withCursor: true);
        var events = await api.GetAsync(user, "v1/audit/events?limit=50" + (query.Length > 0 ? "&" + query : ""), http.RequestAborted);
        var body = new StringBuilder();
        var fields = new StringBuilder("<div class=\"filters\">");
        foreach (var name in Filters)
        {
            var error = events.Problem?.ErrorFor(name);
            var hint = name is "from" or "to" ? "ISO 8601, e.g. 2026-12-01T00:00:00Z" : null;
            fields.Append(Field(name, name switch { "requestId" => "Request id", "ip" => "Client address", _ => char.ToUpperInvariant(name[0]) + name[1..] },
                http.Request.Query[name].ToString(), error, extra: "autocomplete=\"off\"", id: "filter-" + name, hint: hint));
        }

        fields.Append("</div>");
        body.Append(Form(http, $"/console/o/{U(org)}/audit", fields.ToString(), "Filter", "audit-filters", method: "get"));
        if (!events.Ok)
        {
            body.Append(Problem(events.Problem));
            return Page(http, user, "Audit log", body.ToString(), events.Problem!.Status is 400 ? 400 : 403);
        }

        body.Append(Table(Items(events.Body), withDetails: true));
        var filters = Query(http, withCursor: false);
        if (Text(events.Body, "nextCursor") is { } next)
        {
            body.Append($"""<p><a id="next-page" href="/console/o/{E(U(org))}/audit?{E(filters + (filters.Length > 0 ? "&" : "") + "cursor=" + U(next))}">Older entries</a></p>""");
        }

        body.Append($"""<p>Export what the filters select: <a id="export-csv" href="/console/o/{E(U(org))}/audit/export?format=csv&amp;{E(filters)}">CSV</a> · <a id="export-ndjson" href="/console/o/{E(U(org))}/audit/export?format=ndjson&amp;{E(filters)}">NDJSON</a></p>""");
        return Page(http, user, "Audit log", body.ToString());
    }

    /// <summary>The audit service's streamed export, passed through with the user's token (never buffered whole).</summary>
    private static async Task<IResult> Export(string org, string? format, HttpContext http, IHttpClientFactory clients, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var kind = format == "ndjson" ? "ndjson" : "csv";
        var filters = Query(http, withCursor: false);
        using var request = api.Request(user, HttpMethod.Get, $"v1/audit/events/export?format={kind}" + (filters.Length > 0 ? "&" + filters : ""));
        var response = await clients.CreateClient(Auth.PlatformHttp.Name).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        http.Response.RegisterForDispose(response);
        if (!response.IsSuccessStatusCode) return Page(http, user, "Audit log", Problem(new ApiProblem((int)response.StatusCode, "about:blank", "The export was refused", null,
            response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : null, new Dictionary<string, string[]>())), (int)response.StatusCode);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Stream(await response.Content.ReadAsStreamAsync(http.RequestAborted), kind == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
            $"audit-{org}.{kind}");
    }

    public static string Table(IEnumerable<JsonElement> entries, bool withDetails)
    {
        var list = entries.ToList();
        if (list.Count == 0) return "<p id=\"no-events\">No entries.</p>";
        var body = new StringBuilder("""<div class="table"><table class="events" id="events"><caption>Audit entries, newest first</caption><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Actor</th><th scope="col">Address</th>""");
        if (withDetails) body.Append("<th scope=\"col\">Detail</th>");
        body.Append("</tr></thead><tbody>");
        foreach (var entry in list)
        {
            var at = DateTimeOffset.TryParse(Text(entry, "occurredAt"), CultureInfo.InvariantCulture, out var when) ? when : (DateTimeOffset?)null;
            body.Append($"""<tr data-id="{E(Text(entry, "eventId"))}"><td>{Time(at)}</td><td class="action">{E(Text(entry, "action"))}</td><td>{E(Text(entry, "outcome"))}</td><td>{E(Text(entry, "actor"))}</td><td>{E(Text(entry, "ip"))}</td>""");
            if (withDetails)
            {
                var details = new StringBuilder("<dl>");
                foreach (var name in new[] { "eventId", "target", "requestId", "userAgent", "region" })
                {
                    if (Text(entry, name) is { } value) details.Append($"<dt>{E(name)}</dt><dd>{E(value)}</dd>");
                }

                if (entry.TryGetProperty("details", out var extra) && extra.ValueKind == JsonValueKind.Object)
                {
                    foreach (var property in extra.EnumerateObject()) details.Append($"<dt>{E(property.Name)}</dt><dd>{E(property.Value.ToString())}</dd>");
                }

                body.Append($"<td><details><summary>Detail</summary>{details}</dl></details></td>");
            }

            body.Append("</tr>");
        }

        return body.Append("</tbody></table></div>").ToString();
    }
}
