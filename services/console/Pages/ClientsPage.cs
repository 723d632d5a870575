using System.Text;
using System.Text.Json;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// OAuth clients of the organization (identity's API; Owners and Admins, changes with a fresh second factor): list,
/// create (the secret shown once like a key), rotate a confidential client's secret (the new one shown once), delete.
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
        org.MapPost("/clients/{clientId}/rotate", Rotate);
        org.MapPost("/clients/{clientId}/delete", Delete);
    }

    private static async Task<IResult> Show(string org, string? done, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!user.IsAdministrator) return Page(http, user, "OAuth clients", "<p id=\"refusal\">Only an Owner or an Admin manages OAuth clients.</p>", 403);
        return await RenderAsync(http, user, api, Draft.Empty, null, null, done == "deleted" ? "The client is deleted: its refresh tokens no longer work." : null);
    }

    private static async Task<IResult> RenderAsync(HttpContext http, UserContext user, PlatformApi api, Draft draft, IReadOnlyDictionary<string, string>? errors, ApiProblem? problem, string? notice = null, int status = 200)
    {
        var org = user.OrganizationId!;
        var clients = await api.GetAsync(user, $"v1/organizations/{U(org)}/clients", http.RequestAborted);
        string? Error(string field) => errors is not null && errors.TryGetValue(field, out var message) ? message : null;
        var body = new StringBuilder(Notice(notice));
        if (!clients.Ok)
        {
            body.Append(Problem(clients.Problem));
            if (clients.Problem!.Status is 401 or 403 or 404) return Page(http, user, "OAuth clients", body.ToString(), 403);
        }

        if (problem is not null && draft == Draft.Empty)
        {
            body.Append(Problem(problem));
            if (problem.StepUpRequired) body.Append(Guard.StepUpLink($"/console/o/{U(org)}/clients"));
        }

        body.Append("<h2>Clients</h2>");
        if (clients.Ok)
        {
            body.Append(Tables.Of("clients", "The organization's OAuth clients (secrets are never shown again)", OverviewPage.Items(clients.Body),
                ("Name", Tables.Value("name")), ("Client id", Tables.Code("clientId")), ("Type", Tables.Value("type")), ("Scopes", Tables.Value("scopes")),
                ("Redirect URIs", Tables.Value("redirectUris")), ("Created", Tables.At("createdAt")),
                ("Actions", c =>
                {
                    var id = Tables.Raw(c, "clientId")!;
                    var rotate = Tables.Raw(c, "type") == "spa" ? "" : Form(http, $"/console/o/{U(org)}/clients/{U(id)}/rotate",
                        Select("overlapSeconds", "Old secret keeps working for", Overlaps.Choices, "0", id: "overlap-" + id), "Rotate secret", "rotate-" + id);
                    return rotate + Form(http, $"/console/o/{U(org)}/clients/{U(id)}/delete", "", "Delete", "delete-" + id, buttonClass: "danger");
                })));
        }

        body.Append("<h2>Create a client</h2>");
        if (problem is not null && draft != Draft.Empty)
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
        if (errors.Count > 0) return await RenderAsync(http, user, api, draft, errors, null, status: 400);

        var created = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/clients",
            new { name = draft.Name, type, scopes = draft.Scopes, redirectUris = type == "machine" ? null : redirectUris }, http.RequestAborted);
        if (!created.Ok)
        {
            var problem = created.Problem!;
            var fieldErrors = new Dictionary<string, string>();
            if (problem.ErrorFor("client") is { } reason) fieldErrors[reason.Contains("redirect", StringComparison.OrdinalIgnoreCase) ? "redirectUris" : reason.StartsWith("scopes", StringComparison.Ordinal) ? "scopes" : "name"] = reason;
            return await RenderAsync(http, user, api, draft, fieldErrors, problem, status: problem.Status);
        }

        return NewClient(http, user, created.Body, draft.Name);
    }

    private static async Task<IResult> Rotate(string org, string clientId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(clientId)) return Standalone(http, "No such client", "<p id=\"refusal\">That is not a client id.</p>", 404);
        var rotated = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/clients/{U(clientId)}/rotate-secret",
            new { overlapSeconds = Overlaps.FromForm(http, 0) }, http.RequestAborted);
        if (!rotated.Ok) return await RenderAsync(http, user, api, Draft.Empty, null, rotated.Problem, status: rotated.Problem!.Status);
        var until = rotated.Body.TryGetProperty("previousSecretValidUntil", out var u) && u.ValueKind == JsonValueKind.String ? u.GetDateTimeOffset() : (DateTimeOffset?)null;
        return NewClient(http, user, rotated.Body, clientId, "The client's new secret",
            until is null ? "The old secret no longer works." : $"The old secret keeps working until {until.Value.UtcDateTime:yyyy-MM-dd HH:mm} UTC, then is refused: deploy the new one before then.");
    }

    private static async Task<IResult> Delete(string org, string clientId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(clientId)) return Standalone(http, "No such client", "<p id=\"refusal\">That is not a client id.</p>", 404);
        var deleted = await api.SendAsync(user, HttpMethod.Delete, $"v1/organizations/{U(org)}/clients/{U(clientId)}", null, http.RequestAborted);
        if (!deleted.Ok) return await RenderAsync(http, user, api, Draft.Empty, null, deleted.Problem, status: deleted.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/clients?done=deleted");
    }

    /// <summary>The one time a client secret is shown: not cached, not in any URL, with a copy button and the warning.</summary>
    private static IResult NewClient(HttpContext http, UserContext user, JsonElement client, string name, string? title = null, string? previous = null)
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
            <p>Client <strong>{E(name)}</strong>{(OverviewPage.Text(client, "type") is { } type ? $" ({E(type)})" : "")}, id <code id="new-client-id">{E(OverviewPage.Text(client, "clientId"))}</code>.</p>
            {secretHtml}
            {(previous is null ? "" : $"<p id=\"previous-secret\">{E(previous)}</p>")}
            <p><a id="back-to-clients" href="/console/o/{E(U(user.OrganizationId))}/clients">I have copied it: back to OAuth clients</a></p>
            """;
        return Page(http, user, title ?? "Your new OAuth client", body, title is null ? 201 : 200);
    }
}
