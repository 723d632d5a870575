using System.Globalization;
using System.Text;
using System.Text.Json;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;
using static Platform.SecurityConsole.Pages.OverviewPage;

namespace Platform.SecurityConsole.Pages;

/// <summary>API keys (keys service, through the gateway; Owners and Admins with a fresh second factor): list, create, rotate, revoke.</summary>
internal static class KeysPage
{
    private static readonly string[] Permissions = ["dataset", "training", "deployment"];
    private static readonly string[] Levels = ["none", "full", "read_only", "labeler_only", "restricted"];

    private sealed record Draft(string Name, string Environment, IReadOnlyDictionary<string, string> Levels)
    {
        public static readonly Draft Empty = new("", "live", new Dictionary<string, string>());
    }

    public static void MapKeysPage(this RouteGroupBuilder org)
    {
        org.MapGet("/keys", List);
        org.MapPost("/keys", Create);
        org.MapPost("/keys/{keyId}/rotate", Rotate);
        org.MapPost("/keys/{keyId}/revoke", Revoke);
    }

    private static async Task<IResult> List(string org, string? cursor, string? done, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var path = $"v1/organizations/{U(org)}/keys?limit=100" + (cursor is { Length: > 0 and < 500 } ? "&cursor=" + U(cursor) : "");
        var keys = await api.GetAsync(user, path, http.RequestAborted);
        if (keys.Problem is { StepUpRequired: true }) return Results.Redirect(Guard.StepUpUrl(Guard.Here(http)));
        return Render(http, user, keys, Draft.Empty, null, null, done switch { "revoked" => "The key is revoked: it is refused from now on.", _ => null });
    }

    private static IResult Render(HttpContext http, UserContext user, ApiResult keys, Draft draft, IReadOnlyDictionary<string, string>? errors, ApiProblem? formProblem, string? notice, int status = 200)
    {
        var org = user.OrganizationId!;
        var body = new StringBuilder(Notice(notice));
        if (!keys.Ok)
        {
            body.Append(Problem(keys.Problem));
            return Page(http, user, "API keys", body.ToString(), keys.Problem!.Status is 401 or 403 ? 403 : 502);
        }

        body.Append("<h2>Create a key</h2>");
        if (formProblem is not null)
        {
            body.Append(Problem(formProblem));
            if (formProblem.StepUpRequired) body.Append(Guard.StepUpLink($"/console/o/{U(org)}/keys"));
        }

        string? Error(string field) => errors is not null && errors.TryGetValue(field, out var message) ? message : null;
        var fields = new StringBuilder();
        fields.Append(Field("name", "Name", draft.Name, Error("name"), extra: "maxlength=\"100\" autocomplete=\"off\"", hint: "What uses it, e.g. \"training pipeline\"."));
        fields.Append(Select("environment", "Environment", ["live", "test"], draft.Environment));
        fields.Append("<fieldset><legend>Scopes (at least one)</legend>");
        foreach (var permission in Permissions)
        {
            fields.Append(Select("scope-" + permission, permission, Levels, draft.Levels.GetValueOrDefault(permission, "none")));
        }

        if (Error("scopes") is { } scopeError) fields.Append($"<p class=\"field-error\" id=\"scopes-error\">{E(scopeError)}</p>");
        fields.Append("</fieldset>");
        body.Append(Form(http, $"/console/o/{U(org)}/keys", fields.ToString(), "Create key", "create-key"));

        body.Append("<h2>Keys</h2>");
        var items = Items(keys.Body).ToList();
        if (items.Count == 0) body.Append("<p id=\"no-keys\">No keys yet.</p>");
        else
        {
            body.Append("""<div class="table"><table id="keys"><caption>The organization's keys, newest first</caption><thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Status</th><th scope="col">Scopes</th><th scope="col">Last use</th><th scope="col">Uses</th><th scope="col">Created</th><th scope="col">Actions</th></tr></thead><tbody>""");
            foreach (var key in items)
            {
                var id = Text(key, "id")!;
                var keyStatus = Text(key, "status");
                var scopes = key.TryGetProperty("scopes", out var s) ? string.Join(", ", s.EnumerateArray().Select(x => $"{Text(x, "permission")}: {Text(x, "level")}")) : "";
                var actions = new StringBuilder();
                if (keyStatus == "active")
                {
                    var overlap = Select("overlapSeconds", "Old key keeps working for", Overlaps.Choices, "86400", id: "overlap-" + id);
                    actions.Append(Form(http, $"/console/o/{U(org)}/keys/{U(id)}/rotate", overlap, "Rotate", "rotate-" + id));
                    actions.Append(Form(http, $"/console/o/{U(org)}/keys/{U(id)}/revoke", "", "Revoke", "revoke-" + id, buttonClass: "danger"));
                }

                body.Append($"""
                    <tr data-id="{E(id)}" data-status="{E(keyStatus)}"><td>{E(Text(key, "name"))}</td><td><code>{E(Text(key, "displayPrefix"))}…</code> <span class="env">{E(Text(key, "environment"))}</span></td>
                    <td class="status">{E(keyStatus)}</td><td>{E(scopes)}</td><td>{Time(Date(key, "lastUsedAt"))}</td><td>{key.GetProperty("useCount").GetInt64().ToString(CultureInfo.InvariantCulture)}</td>
                    <td>{Time(Date(key, "createdAt"))}</td><td>{actions}</td></tr>
                    """);
            }

            body.Append("</tbody></table></div>");
            if (Text(keys.Body, "nextCursor") is { } next) body.Append($"""<p><a id="next-page" href="/console/o/{E(U(org))}/keys?cursor={E(U(next))}">Older keys</a></p>""");
        }

        return Page(http, user, "API keys", body.ToString(), status);
    }

    private static async Task<IResult> Create(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var form = http.Request.Form;
        var draft = new Draft(form["name"].ToString().Trim(), form["environment"] == "test" ? "test" : "live",
            Permissions.ToDictionary(p => p, p => Levels.Contains(form["scope-" + p].ToString()) ? form["scope-" + p].ToString() : "none"));
        var errors = new Dictionary<string, string>();
        if (draft.Name.Length is 0 or > 100 || draft.Name.Any(char.IsControl)) errors["name"] = "Give the key a name of 1 to 100 characters.";
        var scopes = draft.Levels.Where(l => l.Value != "none").Select(l => new { permission = l.Key, level = l.Value }).ToList();
        if (scopes.Count == 0) errors["scopes"] = "Choose a level for at least one permission.";
        if (errors.Count > 0) return Render(http, user, await ListAsync(api, user, http), draft, errors, null, null, 400);

        var created = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/keys", new { name = draft.Name, environment = draft.Environment, scopes }, http.RequestAborted);
        if (!created.Ok) return await Refused(http, user, api, draft, created.Problem!);
        return NewKey(http, user, created.Body, "Your new key");
    }

    private static async Task<IResult> Rotate(string org, string keyId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(keyId)) return Standalone(http, "No such key", "<p id=\"refusal\">That is not a key id.</p>", 404);
        var rotated = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/keys/{U(keyId)}/rotate", new { overlapSeconds = Overlaps.FromForm(http, 86400) }, http.RequestAborted);
        if (!rotated.Ok) return await Refused(http, user, api, Draft.Empty, rotated.Problem!);
        return NewKey(http, user, rotated.Body, "The rotated key");
    }

    private static async Task<IResult> Revoke(string org, string keyId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(keyId)) return Standalone(http, "No such key", "<p id=\"refusal\">That is not a key id.</p>", 404);
        var revoked = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/keys/{U(keyId)}/revoke", null, http.RequestAborted);
        if (!revoked.Ok) return await Refused(http, user, api, Draft.Empty, revoked.Problem!);
        return Results.Redirect($"/console/o/{U(org)}/keys?done=revoked");
    }

    private static async Task<ApiResult> ListAsync(PlatformApi api, UserContext user, HttpContext http) =>
        await api.GetAsync(user, $"v1/organizations/{U(user.OrganizationId)}/keys?limit=100", http.RequestAborted);

    private static async Task<IResult> Refused(HttpContext http, UserContext user, PlatformApi api, Draft draft, ApiProblem problem)
    {
        var errors = new Dictionary<string, string>();
        if (problem.ErrorFor("name") is { } name) errors["name"] = name;
        if (problem.ErrorFor("scopes") is { } scopes) errors["scopes"] = scopes;
        var list = await ListAsync(api, user, http);
        return Render(http, user, list, draft, errors, problem, null, problem.Status);
    }

    /// <summary>The one time a key is shown: not cached, not in any URL, with a copy button and the warning.</summary>
    private static IResult NewKey(HttpContext http, UserContext user, JsonElement key, string title)
    {
        var body = $"""
            <p class="warning" role="alert" id="key-warning"><strong>Copy this key now.</strong> It is shown only this once: the platform keeps only a hash of it, and nobody can show it to you again.</p>
            <div class="secret"><label for="new-key">Key {E(Text(key, "name"))} ({E(Text(key, "environment"))})</label>
            <input id="new-key" type="text" readonly value="{E(Text(key, "key"))}" autocomplete="off" spellcheck="false">
            <button type="button" class="copy" data-copy="new-key" hidden>Copy</button></div>
            <p>Id <code id="new-key-id">{E(Text(key, "id"))}</code>. Send it as <code>X-Api-Key</code> or <code>Authorization: Bearer</code>.</p>
            <p><a id="back-to-keys" href="/console/o/{E(U(user.OrganizationId))}/keys">I have copied it: back to the keys</a></p>
            """;
        return Page(http, user, title, body, 201);
    }

    private static DateTimeOffset? Date(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, out var at) ? at : null;
}
