using System.Text;
using System.Text.RegularExpressions;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Customer secrets (keys service; Owners and Admins): write-only. A value goes in (a new secret, or the next version of
/// one); the page lists names, versions and who changed them, and deletes. No value is ever shown or echoed back, not
/// even after a refused form.
/// </summary>
internal static partial class SecretsPage
{
    [GeneratedRegex("^[a-z0-9_-]{1,100}$")]
    private static partial Regex Name();

    public static void MapSecretsPage(this RouteGroupBuilder org)
    {
        org.MapGet("/secrets", List);
        org.MapPost("/secrets", Store);
        org.MapPost("/secrets/{name}/delete", Delete);
    }

    private static async Task<IResult> List(string org, string? after, string? done, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var secrets = await ListAsync(api, user, http, after);
        if (secrets.Problem is { StepUpRequired: true }) return Results.Redirect(Guard.StepUpUrl(Guard.Here(http)));
        var notice = done switch
        {
            "stored" => "The secret is stored. Its value is not shown again.",
            "deleted" => "The secret is deleted.",
            _ => null,
        };
        return Render(http, user, secrets, "", null, null, notice);
    }

    private static Task<ApiResult> ListAsync(PlatformApi api, UserContext user, HttpContext http, string? after = null) =>
        api.GetAsync(user, $"v1/organizations/{U(user.OrganizationId)}/secrets?limit=100" + (after is { Length: > 0 and <= 100 } ? "&after=" + U(after) : ""), http.RequestAborted);

    private static IResult Render(HttpContext http, UserContext user, ApiResult secrets, string name, IReadOnlyDictionary<string, string>? errors, ApiProblem? formProblem, string? notice, int status = 200)
    {
        var org = user.OrganizationId!;
        var body = new StringBuilder(Notice(notice));
        if (!secrets.Ok)
        {
            body.Append(Problem(secrets.Problem));
            return Page(http, user, "Customer secrets", body.ToString(), secrets.Problem!.Status is 401 or 403 ? 403 : 502);
        }

        string? Error(string field) => errors is not null && errors.TryGetValue(field, out var message) ? message : null;
        body.Append("<p class=\"hint\">Secrets are write-only: the platform seals each value under your organization's key and never shows it again, here or in any API answer. Storing under an existing name makes its next version.</p>");
        body.Append("<h2>Store a secret</h2>");
        if (formProblem is not null)
        {
            body.Append(Problem(formProblem));
            if (formProblem.StepUpRequired) body.Append(Guard.StepUpLink($"/console/o/{U(org)}/secrets"));
        }

        body.Append(Form(http, $"/console/o/{U(org)}/secrets",
            Field("name", "Name", name, Error("name"), extra: "maxlength=\"100\" autocomplete=\"off\" spellcheck=\"false\"", hint: "Lower-case letters, digits, '-' or '_'.")
            + Field("value", "Value", "", Error("value"), "textarea", "autocomplete=\"off\" spellcheck=\"false\"", hint: "Never shown again; type it again after a refused form."),
            "Store secret", "store-secret"));

        body.Append("<h2>Secrets</h2>");
        var items = OverviewPage.Items(secrets.Body).ToList();
        if (items.Count == 0) body.Append("<p id=\"no-secrets\">No secrets yet.</p>");
        else
        {
            body.Append("""<div class="table"><table id="secrets"><caption>The organization's secrets by name (values are never shown)</caption><thead><tr><th scope="col">Name</th><th scope="col">Version</th><th scope="col">Created</th><th scope="col">Last changed</th><th scope="col">By</th><th scope="col">Actions</th></tr></thead><tbody>""");
            foreach (var secret in items)
            {
                var secretName = OverviewPage.Text(secret, "name")!;
                var newVersion = Form(http, $"/console/o/{U(org)}/secrets",
                    $"""<input type="hidden" name="name" value="{E(secretName)}">""" + Field("value", "New value", "", null, "textarea", "autocomplete=\"off\" spellcheck=\"false\"", id: "value-" + secretName),
                    "Store new version", "version-" + secretName);
                var delete = Form(http, $"/console/o/{U(org)}/secrets/{U(secretName)}/delete", "", "Delete", "delete-" + secretName, buttonClass: "danger");
                body.Append($"""
                    <tr data-name="{E(secretName)}" data-version="{E(Tables.Raw(secret, "version"))}"><td><code>{E(secretName)}</code></td><td class="version">{E(Tables.Raw(secret, "version"))}</td>
                    <td>{Tables.At("createdAt")(secret)}</td><td>{Tables.At("updatedAt")(secret)}</td><td>{E(Tables.Raw(secret, "updatedBy"))}</td>
                    <td><details><summary>New version</summary>{newVersion}</details>{delete}</td></tr>
                    """);
            }

            body.Append("</tbody></table></div>");
            if (OverviewPage.Text(secrets.Body, "next") is { } next) body.Append($"""<p><a id="next-page" href="/console/o/{E(U(org))}/secrets?after={E(U(next))}">More secrets</a></p>""");
        }

        return Page(http, user, "Customer secrets", body.ToString(), status);
    }

    private static async Task<IResult> Store(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var name = http.Request.Form["name"].ToString().Trim();
        var value = http.Request.Form["value"].ToString();
        var errors = new Dictionary<string, string>();
        if (!Name().IsMatch(name)) errors["name"] = "A name is 1 to 100 lower-case letters, digits, '-' or '_'.";
        if (value.Length == 0) errors["value"] = "Type the secret's value.";
        if (errors.Count > 0) return Render(http, user, await ListAsync(api, user, http), name, errors, null, null, 400);

        var stored = await api.SendAsync(user, HttpMethod.Put, $"v1/organizations/{U(org)}/secrets/{U(name)}", new { value }, http.RequestAborted);
        if (!stored.Ok)
        {
            var problem = stored.Problem!;
            if (problem.ErrorFor("name") is { } nameError) errors["name"] = nameError;
            if (problem.ErrorFor("value") is { } valueError) errors["value"] = valueError;
            return Render(http, user, await ListAsync(api, user, http), name, errors, problem, null, problem.Status);
        }

        return Results.Redirect($"/console/o/{U(org)}/secrets?done=stored");
    }

    private static async Task<IResult> Delete(string org, string name, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Name().IsMatch(name)) return Standalone(http, "No such secret", "<p id=\"refusal\">That is not a secret name.</p>", 404);
        var deleted = await api.SendAsync(user, HttpMethod.Delete, $"v1/organizations/{U(org)}/secrets/{U(name)}", null, http.RequestAborted);
        if (!deleted.Ok) return Render(http, user, await ListAsync(api, user, http), "", null, deleted.Problem, null, deleted.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/secrets?done=deleted");
    }
}
