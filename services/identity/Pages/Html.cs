using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;

namespace Platform.Identity.Pages;

/// <summary>Server-rendered pages (ID-UI): plain HTML forms, no JavaScript, every value encoded.</summary>
internal static class Html
{
    public static string E(string? value) => HtmlEncoder.Default.Encode(value ?? "");

    public static IResult Page(HttpContext http, string title, string body, int status = 200)
    {
        // No scripts at all; images only inline (the QR code); no framing (clickjacking).
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.XFrameOptions = "DENY";
        http.Response.Headers["Referrer-Policy"] = "no-referrer";
        var html = $$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(title)}} · Platform</title>
            <style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=email],input[type=password],select{width:100%;padding:.4rem}button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00}code{font-size:1.1em}</style>
            </head><body><main><h1>{{E(title)}}</h1>
            {{body}}
            </main></body></html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    public static string Form(HttpContext http, IAntiforgery antiforgery, string action, string fields, string button, string? returnUrl = null)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        var hidden = returnUrl is null ? "" : $"""<input type="hidden" name="returnUrl" value="{E(returnUrl)}">""";
        return $"""
            <form method="post" action="{E(action)}">
            <input type="hidden" name="{E(tokens.FormFieldName)}" value="{E(tokens.RequestToken)}">{hidden}
            {fields}
            <button type="submit" name="action" value="submit">{E(button)}</button>
            </form>
            """;
    }

    public static string Error(string? message) => message is null ? "" : $"""<p class="error" role="alert">{E(message)}</p>""";

    public static string Input(string name, string label, string type = "text", string? value = null, string autocomplete = "off") =>
        $"""<label for="{name}">{E(label)}</label><input id="{name}" name="{name}" type="{type}" value="{E(value)}" autocomplete="{autocomplete}" required>""";
}
