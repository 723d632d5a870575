using System.Text;
using System.Text.Json;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// OAuth clients of the organization (identity's API; Owners and Admins with a fresh second factor): create one, its
/// secret shown once like a key. Identity's public API only creates clients: listing, rotating a secret and deleting
/// have no API yet, and the page says so rather than reaching into identity's database.
/// </summary>
internal static class ClientsPage
{
    private static readonly (string Value, string Label)[] Types = [("machine", "machine (client credentials, no user)"), ("web", "web (server-side, code + PKCE)"), ("spa", "single-page app (public, code + PKCE)")];
    private static readonly string[] Scopes = ["openid", "email", "profile", "offline_access", "platform.keys", "platform.secrets", "platform.organizations", "platform.audit"];

    private sealed record Draft(string Name, string Type, IReadOnlyList<string> Scopes, string RedirectUris)
    {
        public static readonly Draft Empty = new("", "machine", [], "");
    }

    public static void MapClientsPage(this RouteGroupBuilder org)
    {
        org.MapGet("/clients", Show);
        org.MapPost("/clients", Create);
    }

    private static async Task<IResult> Show(string org, HttpContext http)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!user.IsAdministrator) return Page(http, user, "OAuth clients", "<p id=\"refusal\">Only an Owner or an Admin manages OAuth clients.</p>", 403);
        return Render(http, user, Draft.Empty, null, null);
    }

    private static IResult Render(HttpContext http, UserContext user, Draft draft, IReadOnlyDictionary<string, string>? errors, ApiProblem? problem, int status = 200)
    {
        var org = user.OrganizationId!;
        string? Error(string field) => errors is not null && errors.TryGetValue(field, out var message) ? message : null;
        var body = new StringBuilder();
        body.Append("<p class=\"hint\" id=\"clients-api-limits\">Identity's public API creates clients; it has no call yet to list them, rotate a secret or delete one, so this page cannot offer those. A client's secret is shown once, when it is created.</p>");
        body.Append("<h2>Create a client</h2>");
        if (problem is not null)
        {
            body.Append(Problem(problem));
            if (problem.StepUpRequired) body.Append(Guard.StepUpLink($"/console/o/{U(org)}/clients"));
        }

        var fields = new StringBuilder();
        fields.Append(Field("name", "Name", draft.Name, Error("name"), extra: "maxlength=\"100\" autocomplete=\"off\""));
        fields.Append(Select("type", "Type", Types, draft.Type));
        fields.Append("<fieldset><legend>Scopes (1 to 10)</legend>");
        foreach (var scope in Scopes)
        {
            var id = "scope-" + scope.Replace('.', '-').Replace('_', '-');
            var check = draft.Scopes.Contains(scope) ? " checked" : "";
            fields.Append($"""<div class="check"><input type="checkbox" id="{E(id)}" name="scopes" value="{E(scope)}"{check}><label for="{E(id)}">{E(scope)}</label></div>""");
        }

        if (Error("scopes") is { } scopeError) fields.Append($"<p class=\"field-error\" id=\"scopes-error\">{E(scopeError)}</p>");
        fields.Append("</fieldset>");
        fields.Append(Field("redirectUris", "Redirect URIs (web and single-page apps; one a line)", draft.RedirectUris, Error("redirectUris"), "textarea", "autocomplete=\"off\" spellcheck=\"false\""));
        body.Append(Form(http, $"/console/o/{U(org)}/clients", fields.ToString(), "Create client", "create-client"));
        return Page(http, user, "OAuth clients", body.ToString(), status);
    }

    private static async Task<IResult> Create(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var form = http.Request.Form;
        var type = Types.Any(t => t.Value == form["type"]) ? form["type"].ToString() : "machine";
        var draft = new Draft(form["name"].ToString().Trim(), type, [.. form["scopes"].Where(s => s is not null && Scopes.Contains(s)).Select(s => s!).Distinct()], form["redirectUris"].ToString());
        var redirectUris = draft.RedirectUris.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errors = new Dictionary<string, string>();
        if (draft.Name.Length is 0 or > 100 || draft.Name.Any(char.IsControl)) errors["name"] = "Give the client a name of 1 to 100 characters.";
        if (draft.Scopes.Count == 0) errors["scopes"] = "Choose at least one scope.";
        if (type == "machine" && draft.Scopes.Any(s => !s.StartsWith("platform.", StringComparison.Ordinal))) errors["scopes"] = "A machine client can only have platform scopes.";
        if (type == "machine" && redirectUris.Length > 0) errors["redirectUris"] = "A machine client has no redirect URIs.";
        if (type != "machine" && redirectUris.Length is 0 or > 10) errors["redirectUris"] = "Give 1 to 10 absolute https addresses, one a line.";
        if (errors.Count > 0) return Render(http, user, draft, errors, null, 400);

        var created = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/clients",
            new { name = draft.Name, type, scopes = draft.Scopes, redirectUris = type == "machine" ? null : redirectUris }, http.RequestAborted);
        if (!created.Ok)
        {
            var problem = created.Problem!;
            var fieldErrors = new Dictionary<string, string>();
            if (problem.ErrorFor("client") is { } reason) fieldErrors[reason.Contains("redirect", StringComparison.OrdinalIgnoreCase) ? "redirectUris" : reason.StartsWith("scopes", StringComparison.Ordinal) ? "scopes" : "name"] = reason;
            return Render(http, user, draft, fieldErrors, problem, problem.Status);
        }

        return NewClient(http, user, created.Body, draft.Name);
    }

    /// <summary>The one time a client secret is shown: not cached, not in any URL, with a copy button and the warning.</summary>
    private static IResult NewClient(HttpContext http, UserContext user, JsonElement client, string name)
    {
        var secret = OverviewPage.Text(client, "clientSecret");
        var secretHtml = secret is null
            ? "<p id=\"no-secret\">This is a public client: it has no secret.</p>"
            : $"""
              <p class="warning" role="alert" id="secret-warning"><strong>Copy this secret now.</strong> It is shown only this once: identity keeps only a hash of it.</p>
              <div class="secret"><label for="new-client-secret">Client secret</label>
              <input id="new-client-secret" type="text" readonly value="{E(secret)}" autocomplete="off" spellcheck="false">
              <button type="button" class="copy" data-copy="new-client-secret" hidden>Copy</button></div>
              """;
        var body = $"""
            <p>Client <strong>{E(name)}</strong> ({E(OverviewPage.Text(client, "type"))}), id <code id="new-client-id">{E(OverviewPage.Text(client, "clientId"))}</code>.</p>
            {secretHtml}
            <p><a id="back-to-clients" href="/console/o/{E(U(user.OrganizationId))}/clients">I have copied it: back to OAuth clients</a></p>
            """;
        return Page(http, user, "Your new OAuth client", body, 201);
    }
}
