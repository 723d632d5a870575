using System.Globalization;
using System.Text;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Retention (the retention service; Owners and Admins): the periods of each class of data, legal holds, the closure
/// status and the data-subject request register. Changes go to the API, which asks for a fresh second factor; a refusal
/// is shown by its form with the step-up link, and what was typed stays.
/// </summary>
internal static class RetentionPage
{
    private static readonly string[] HoldScopes = ["organization", "dataset", "data_class", "user"];
    private static readonly string[] RequestTypes = ["access", "portability", "erasure"];

    public static void MapRetentionPage(this RouteGroupBuilder org)
    {
        org.MapGet("/retention", Show);
        org.MapPost("/retention/policies/{dataClass}", SetPolicy);
        org.MapPost("/retention/holds", PlaceHold);
        org.MapPost("/retention/holds/{holdId}/release", ReleaseHold);
        org.MapPost("/retention/subject-requests", Register);
    }

    private static async Task<IResult> Show(string org, string? done, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var notice = done switch
        {
            "policy" => "The retention period is changed.",
            "hold" => "The legal hold is placed: nothing it covers is deleted until it is released.",
            "released" => "The legal hold is released.",
            "request" => "The request is registered; its due date is in the register.",
            _ => null,
        };
        return await RenderAsync(http, user, api, notice, null);
    }

    private static async Task<IResult> RenderAsync(HttpContext http, UserContext user, PlatformApi api, string? notice, FormState? state, int status = 200)
    {
        var org = user.OrganizationId!;
        var cancel = http.RequestAborted;
        var policiesTask = api.GetAsync(user, "v1/retention/policies", cancel);
        var holdsTask = api.GetAsync(user, "v1/retention/holds", cancel);
        var closureTask = api.GetAsync(user, "v1/retention/closure", cancel);
        var requestsTask = api.GetAsync(user, "v1/retention/subject-requests", cancel);
        var policies = await policiesTask;
        var body = new StringBuilder(Notice(notice));
        if (!policies.Ok && policies.Problem!.Status is 401 or 403)
        {
            body.Append(Problem(policies.Problem));
            return Page(http, user, "Retention", body.ToString(), 403);
        }

        string FormProblem(string form) => state?.ProblemOf(form) is { } problem
            ? Problem(problem) + (problem.StepUpRequired ? Guard.StepUpLink($"/console/o/{U(org)}/retention") : "")
            : "";

        body.Append("<p class=\"hint\">Changes here need an Owner or Admin who confirmed a second factor in the last 15 minutes; the page links to that when the platform asks.</p>");
        body.Append("<h2 id=\"policies-heading\">Retention policies</h2>");
        if (!policies.Ok) body.Append(Problem(policies.Problem));
        else
        {
            body.Append($"<p>Plan <strong id=\"retention-plan\">{E(Tables.Raw(policies.Body, "plan"))}</strong>.</p>");
            body.Append(FormProblem("policy"));
            body.Append(Tables.Of("policies", "How long each class of data is kept", OverviewPage.Items(policies.Body),
                ("Class", Tables.Code("dataClass")),
                ("Kept", p => E(Tables.Raw(p, "kind") == "days" ? $"{Tables.Raw(p, "days")} days" : Tables.Raw(p, "kind"))),
                ("Allowed", p => p.TryGetProperty("bounds", out var b) && b.ValueKind == System.Text.Json.JsonValueKind.Object ? E($"{Tables.Raw(b, "minDays")}–{Tables.Raw(b, "maxDays")} days") : ""),
                ("Set by", Tables.Value("source")),
                ("Change", p =>
                {
                    if (!user.IsAdministrator || Tables.Raw(p, "configurable") != "yes") return "";
                    var dataClass = Tables.Raw(p, "dataClass")!;
                    var form = "policy-" + dataClass;
                    return Form(http, $"/console/o/{U(org)}/retention/policies/{U(dataClass)}",
                        Field("days", "Days", state?.Value(form, "days") ?? Tables.Raw(p, "days"), state?.Error(form, "days"), "text", "inputmode=\"numeric\" autocomplete=\"off\" maxlength=\"5\"", id: "days-" + dataClass),
                        "Set", form);
                })));
        }

        var holds = await holdsTask;
        body.Append("<h2 id=\"holds-heading\">Legal holds</h2>");
        if (!holds.Ok) body.Append(Problem(holds.Problem).Replace("id=\"problem\"", "id=\"holds-problem\"", StringComparison.Ordinal));
        else
        {
            body.Append(FormProblem("release"));
            body.Append(Tables.Of("holds", "Legal holds", OverviewPage.Items(holds.Body),
                ("Scope", Tables.Value("scope")), ("Target", Tables.Code("target")), ("Reason", Tables.Value("reason")), ("Status", Tables.Value("status")), ("Placed", Tables.At("placedAt")),
                ("Release", h => Tables.Raw(h, "status") != "active" || !user.IsAdministrator ? "" : Form(http, $"/console/o/{U(org)}/retention/holds/{U(Tables.Raw(h, "id"))}/release",
                    Field("reason", "Why", null, null, extra: "maxlength=\"500\" autocomplete=\"off\"", id: "release-reason-" + Tables.Raw(h, "id")), "Release", "release-" + Tables.Raw(h, "id"), buttonClass: "danger"))));
            if (user.IsAdministrator)
            {
                body.Append("<h3>Place a hold</h3>");
                body.Append(FormProblem("hold"));
                body.Append(Form(http, $"/console/o/{U(org)}/retention/holds",
                    Select("scope", "What it covers", HoldScopes, state?.Value("hold", "scope") ?? "organization", id: "hold-scope")
                    + Field("target", "Which one (a dataset id, a data class or a user id; empty for the whole organization)", state?.Value("hold", "target"), state?.Error("hold", "target"), extra: "maxlength=\"100\" autocomplete=\"off\"", id: "hold-target")
                    + Field("reason", "Reason (e.g. the matter it is for)", state?.Value("hold", "reason"), state?.Error("hold", "reason"), extra: "maxlength=\"500\" autocomplete=\"off\"", id: "hold-reason"),
                    "Place hold", "place-hold"));
            }
        }

        var closure = await closureTask;
        body.Append("<h2 id=\"closure-heading\">Closure</h2>");
        body.Append(closure.Ok
            ? $"<p id=\"closure-status\">Closure {E(Tables.Raw(closure.Body, "status"))}: requested {Tables.At("requestedAt")(closure.Body)}, grace period ends {Tables.At("graceEndsAt")(closure.Body)}.</p>"
            : closure.Problem!.Status == 404 && closure.Problem.Type.EndsWith("/no-closure", StringComparison.Ordinal)
                ? "<p id=\"closure-status\">The organization is not being closed.</p>"
                : Problem(closure.Problem).Replace("id=\"problem\"", "id=\"closure-problem\"", StringComparison.Ordinal));
        body.Append("<p class=\"hint\">Closing the organization is an Owner's decision through the retention API (<code>POST /v1/retention/closure</code>), not a button here.</p>");

        var requests = await requestsTask;
        body.Append("<h2 id=\"requests-heading\">Data-subject requests</h2>");
        if (!requests.Ok) body.Append(Problem(requests.Problem).Replace("id=\"problem\"", "id=\"requests-problem\"", StringComparison.Ordinal));
        else
        {
            body.Append($"<p id=\"requests-overdue\">{E(Tables.Raw(requests.Body, "overdue"))} overdue.</p>");
            body.Append(Tables.Of("requests", "The register of access, portability and erasure requests", OverviewPage.Items(requests.Body),
                ("Type", Tables.Value("type")), ("Status", Tables.Value("status")), ("Subject", Tables.Value("subjectEmail")), ("Received", Tables.At("receivedAt")), ("Due", Tables.At("dueAt")), ("Overdue", Tables.Value("overdue"))));
            if (user.IsAdministrator)
            {
                body.Append("<h3>Register a request</h3>");
                body.Append(FormProblem("request"));
                body.Append(Form(http, $"/console/o/{U(org)}/retention/subject-requests",
                    Select("type", "Type", RequestTypes, state?.Value("request", "type") ?? "access", id: "request-type")
                    + Field("email", "The person's email address (a member of the organization)", state?.Value("request", "email"), state?.Error("request", "email"), "email", "maxlength=\"320\" autocomplete=\"off\"", id: "request-email"),
                    "Register request", "register-request"));
            }
        }

        return Page(http, user, "Retention", body.ToString(), status);
    }

    private static async Task<IResult> SetPolicy(string org, string dataClass, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(dataClass)) return Standalone(http, "No such class", "<p id=\"refusal\">That is not a data class.</p>", 404);
        var form = "policy-" + dataClass;
        if (!int.TryParse(http.Request.Form["days"], NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days > 36500)
            return await RenderAsync(http, user, api, null, FormState.Of(http, form, ["days"], new() { ["days"] = "A whole number of days, like 30." }), 400);
        var set = await api.SendAsync(user, HttpMethod.Put, $"v1/retention/policies/{U(dataClass)}", new { days }, http.RequestAborted);
        if (!set.Ok) return await RenderAsync(http, user, api, null, FormState.Of(http, form, ["days"], [], set.Problem), set.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/retention?done=policy");
    }

    private static async Task<IResult> PlaceHold(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        string[] fields = ["scope", "target", "reason"];
        var scope = http.Request.Form["scope"].ToString();
        var target = http.Request.Form["target"].ToString().Trim();
        var reason = http.Request.Form["reason"].ToString().Trim();
        var errors = new Dictionary<string, string>();
        if (!HoldScopes.Contains(scope)) errors["scope"] = "Choose what the hold covers.";
        if (scope != "organization" && !Guard.IsResourceId(target)) errors["target"] = "Name the dataset, data class or user: letters, digits, '_' or '-'.";
        if (reason.Length is 0 or > 500) errors["reason"] = "Say why, in 1 to 500 characters.";
        if (errors.Count > 0) return await RenderAsync(http, user, api, null, FormState.Of(http, "hold", fields, errors), 400);
        var placed = await api.SendAsync(user, HttpMethod.Post, "v1/retention/holds", new { scope, target = target.Length == 0 ? null : target, reason }, http.RequestAborted);
        if (!placed.Ok) return await RenderAsync(http, user, api, null, FormState.Of(http, "hold", fields, [], placed.Problem), placed.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/retention?done=hold");
    }

    private static async Task<IResult> ReleaseHold(string org, string holdId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(holdId)) return Standalone(http, "No such hold", "<p id=\"refusal\">That is not a hold id.</p>", 404);
        var reason = http.Request.Form["reason"].ToString().Trim();
        if (reason.Length is 0 or > 500)
            return await RenderAsync(http, user, api, null, new FormState("release", new Dictionary<string, string>(), new Dictionary<string, string>(),
                new ApiProblem(400, "https://platform.dev/problems/invalid-request", "Say why the hold is released", "Give a reason of 1 to 500 characters.", null, new Dictionary<string, string[]>())), 400);
        var released = await api.SendAsync(user, HttpMethod.Post, $"v1/retention/holds/{U(holdId)}/release", new { reason }, http.RequestAborted);
        if (!released.Ok) return await RenderAsync(http, user, api, null, new FormState("release", new Dictionary<string, string>(), new Dictionary<string, string>(), released.Problem), released.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/retention?done=released");
    }

    private static async Task<IResult> Register(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        string[] fields = ["type", "email"];
        var type = http.Request.Form["type"].ToString();
        var email = http.Request.Form["email"].ToString().Trim();
        var errors = new Dictionary<string, string>();
        if (!RequestTypes.Contains(type)) errors["type"] = "Choose the kind of request.";
        if (email.Length is 0 or > 320 || !email.Contains('@')) errors["email"] = "Enter the person's email address, like name@example.com.";
        if (errors.Count > 0) return await RenderAsync(http, user, api, null, FormState.Of(http, "request", fields, errors), 400);
        var registered = await api.SendAsync(user, HttpMethod.Post, "v1/retention/subject-requests", new { type, email }, http.RequestAborted);
        if (!registered.Ok) return await RenderAsync(http, user, api, null, FormState.Of(http, "request", fields, [], registered.Problem), registered.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/retention?done=request");
    }
}
