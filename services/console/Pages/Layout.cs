using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Platform.SecurityConsole.Api;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Server-rendered HTML: every value encoded here, no inline script or style (the CSP allows only the console's own
/// stylesheet and its one script, which only adds copy buttons), every form with its anti-forgery token.
/// </summary>
internal static class Layout
{
    public const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static string E(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static string U(string? value) => Uri.EscapeDataString(value ?? "");

    /// <summary>A page of an organization, with the navigation the user's role allows.</summary>
    public static IResult Page(HttpContext http, UserContext user, string title, string body, int status = 200)
    {
        var org = user.OrganizationId ?? "";
        var nav = new StringBuilder();
        void Link(string path, string text, string id)
        {
            var href = $"/console/o/{U(org)}{path}";
            var current = http.Request.Path.Value == href ? " aria-current=\"page\"" : "";
            nav.Append($"""<li><a id="{id}" href="{E(href)}"{current}>{E(text)}</a></li>""");
        }

        if (org.Length > 0)
        {
            Link("", "Overview", "nav-overview");
            if (user.IsAdministrator) Link("/keys", "API keys", "nav-keys");
            Link("/members", "Members", "nav-members");
            if (user.IsAdministrator) Link("/network", "Network policy", "nav-network");
            if (user.ReadsAudit) Link("/audit", "Audit log", "nav-audit");
            if (user.IsAdministrator) Link("/secrets", "Secrets", "nav-secrets");
            if (user.IsAdministrator) Link("/clients", "OAuth clients", "nav-clients");
            if (user.IsAdministrator) Link("/retention", "Retention", "nav-retention");
            Link("/residency", "Residency", "nav-residency");
            if (user.IsAdministrator) Link("/sso", "Single sign-on", "nav-sso");
            Link("/security", "Your security", "nav-security");
        }

        var header = $"""
            <header><p class="brand"><a href="/console/">Platform console</a></p>
            <nav aria-label="Console"><ul>{nav}</ul></nav>
            <div class="who"><span id="who">{E(user.Email)}</span> · <span id="org" data-id="{E(org)}">{E(org)}</span> · <span id="role">{E(user.Role ?? "no role")}</span>
            {Form(http, "/console/signout", SessionPages.EndSessionFields(http), "Sign out", "signout")}</div></header>
            """;
        return Render(http, title, header + $"<main id=\"main\"><h1>{E(title)}</h1>{body}</main>", status);
    }

    /// <summary>A page outside an organization (errors, the start page).</summary>
    public static IResult Standalone(HttpContext http, string title, string body, int status = 200) =>
        Render(http, title, $"<header><p class=\"brand\"><a href=\"/console/\">Platform console</a></p></header><main id=\"main\"><h1>{E(title)}</h1>{body}</main>", status);

    private static IResult Render(HttpContext http, string title, string content, int status)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = Csp;
        // Pages show an organization's data and, once, new secrets: never cached, never kept by a shared cache.
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        var html = $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · Platform console</title>
            <link rel="stylesheet" href="/console/static/console.css">
            <script src="/console/static/console.js" defer></script>
            </head><body><a class="skip" href="#main">Skip to content</a>
            {content}
            </body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static string Form(HttpContext http, string action, string fields, string button, string? id = null, string method = "post", string buttonClass = "")
    {
        var hidden = "";
        if (method == "post")
        {
            var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
            hidden = $"""<input type="hidden" name="{E(tokens.FormFieldName)}" value="{E(tokens.RequestToken)}">""";
        }

        var idAttribute = id is null ? "" : $" id=\"{E(id)}\"";
        var classAttribute = buttonClass.Length == 0 ? "" : $" class=\"{E(buttonClass)}\"";
        // novalidate: the server's messages, next to each field, are the ones users see, with or without JavaScript.
        return $"""<form method="{method}" action="{E(action)}"{idAttribute} novalidate>{hidden}{fields}<button type="submit"{classAttribute}>{E(button)}</button></form>""";
    }

    /// <summary>A labelled input with its error next to it (announced, and tied to the field).</summary>
    public static string Field(string name, string label, string? value, string? error, string type = "text", string extra = "", string? id = null, string? hint = null)
    {
        id ??= name;
        var describedBy = string.Join(' ', new[] { hint is null ? null : id + "-hint", error is null ? null : id + "-error" }.Where(s => s is not null));
        var aria = (error is null ? "" : " aria-invalid=\"true\"") + (describedBy.Length == 0 ? "" : $" aria-describedby=\"{describedBy}\"");
        var hintHtml = hint is null ? "" : $"""<p class="hint" id="{E(id)}-hint">{E(hint)}</p>""";
        var errorHtml = error is null ? "" : $"""<p class="field-error" id="{E(id)}-error">{E(error)}</p>""";
        var input = type == "textarea"
            ? $"""<textarea id="{E(id)}" name="{E(name)}" rows="5"{aria} {extra}>{E(value)}</textarea>"""
            : $"""<input id="{E(id)}" name="{E(name)}" type="{type}" value="{E(value)}"{aria} {extra}>""";
        return $"""<div class="field"><label for="{E(id)}">{E(label)}</label>{hintHtml}{input}{errorHtml}</div>""";
    }

    public static string Select(string name, string label, IEnumerable<string> options, string? selected, string? id = null, string? error = null) =>
        Select(name, label, options.Select(o => (o, o)), selected, id, error);

    public static string Select(string name, string label, IEnumerable<(string Value, string Label)> options, string? selected, string? id = null, string? error = null)
    {
        id ??= name;
        var items = string.Concat(options.Select(o => $"""<option value="{E(o.Value)}"{(o.Value == selected ? " selected" : "")}>{E(o.Label)}</option>"""));
        var aria = error is null ? "" : $" aria-invalid=\"true\" aria-describedby=\"{E(id)}-error\"";
        var errorHtml = error is null ? "" : $"""<p class="field-error" id="{E(id)}-error">{E(error)}</p>""";
        return $"""<div class="field"><label for="{E(id)}">{E(label)}</label><select id="{E(id)}" name="{E(name)}"{aria}>{items}</select>{errorHtml}</div>""";
    }

    /// <summary>An API's refusal in words, with its request id for support.</summary>
    public static string Problem(ApiProblem? problem) => problem is null ? "" : $"""
        <div class="problem" role="alert" id="problem" data-status="{problem.Status}" data-type="{E(problem.Type)}"><p><strong>{E(problem.Title)}</strong>{(problem.Detail is null ? "" : " " + E(problem.Detail))}</p>
        {(problem.RequestId is null ? "" : $"<p>Request id for support: <code id=\"request-id\">{E(problem.RequestId)}</code></p>")}</div>
        """;

    public static string Notice(string? text) => text is null ? "" : $"""<p class="notice" role="status" id="notice">{E(text)}</p>""";

    public static string Time(DateTimeOffset? at) => at is null ? "never" : $"""<time datetime="{at.Value.UtcDateTime:O}">{at.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC</time>""";
}
