using System.Text;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Retention (policies, legal holds, closure status, data-subject requests), residency, and single sign-on (connections,
/// domains, SCIM token status): read-only views over the APIs, for the roles those APIs answer. Changing any of them
/// needs an Owner's fresh second factor at the API; the console shows what is there and where the APIs are.
/// </summary>
internal static class GovernancePages
{
    public static void MapGovernancePages(this RouteGroupBuilder org)
    {
        org.MapGet("/retention", Retention);
        org.MapGet("/residency", Residency);
        org.MapGet("/sso", Sso);
    }

    private static string Section(string title, string id, ApiResult result, Func<ApiResult, string> show) =>
        $"<h2 id=\"{E(id)}-heading\">{E(title)}</h2>" + (result.Ok ? show(result) : Problem(result.Problem).Replace("id=\"problem\"", $"id=\"{E(id)}-problem\"", StringComparison.Ordinal));

    private static async Task<IResult> Retention(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var cancel = http.RequestAborted;
        var policiesTask = api.GetAsync(user, "v1/retention/policies", cancel);
        var holdsTask = api.GetAsync(user, "v1/retention/holds", cancel);
        var closureTask = api.GetAsync(user, "v1/retention/closure", cancel);
        var requestsTask = api.GetAsync(user, "v1/retention/subject-requests", cancel);
        var body = new StringBuilder("<p class=\"hint\">Read-only here. Changing a period, placing or releasing a hold, registering a request or closing the organization goes through the retention API with an Owner's or Admin's fresh second factor.</p>");
        body.Append(Section("Retention policies", "policies", await policiesTask, r =>
            $"<p>Plan <strong id=\"retention-plan\">{E(Tables.Raw(r.Body, "plan"))}</strong>.</p>"
            + Tables.Of("policies", "How long each class of data is kept", OverviewPage.Items(r.Body),
                ("Class", Tables.Code("dataClass")), ("Kept", p => E(Tables.Raw(p, "kind") == "days" ? $"{Tables.Raw(p, "days")} days" : Tables.Raw(p, "kind"))),
                ("Set by", Tables.Value("source")), ("Changed", Tables.At("updatedAt")))));
        body.Append(Section("Legal holds", "holds", await holdsTask, r => Tables.Of("holds", "Legal holds", OverviewPage.Items(r.Body),
            ("Scope", Tables.Value("scope")), ("Target", Tables.Code("target")), ("Reason", Tables.Value("reason")), ("Status", Tables.Value("status")), ("Placed", Tables.At("placedAt")))));
        var closure = await closureTask;
        body.Append("<h2 id=\"closure-heading\">Closure</h2>");
        body.Append(closure.Ok
            ? $"<p id=\"closure-status\">Closure {E(Tables.Raw(closure.Body, "status"))}: requested {Tables.At("requestedAt")(closure.Body)}, grace period ends {Tables.At("graceEndsAt")(closure.Body)}.</p>"
            : closure.Problem!.Status == 404 && closure.Problem.Type.EndsWith("/no-closure", StringComparison.Ordinal)
                ? "<p id=\"closure-status\">The organization is not being closed.</p>"
                : Problem(closure.Problem).Replace("id=\"problem\"", "id=\"closure-problem\"", StringComparison.Ordinal));
        body.Append(Section("Data-subject requests", "requests", await requestsTask, r =>
            $"<p id=\"requests-overdue\">{E(Tables.Raw(r.Body, "overdue"))} overdue.</p>"
            + Tables.Of("requests", "The register of access and erasure requests", OverviewPage.Items(r.Body),
                ("Type", Tables.Value("type")), ("Status", Tables.Value("status")), ("Subject", Tables.Value("subjectEmail")), ("Received", Tables.At("receivedAt")), ("Due", Tables.At("dueAt")), ("Overdue", Tables.Value("overdue")))));
        return Page(http, user, "Retention", body.ToString());
    }

    private static async Task<IResult> Residency(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var residencyTask = api.GetAsync(user, "v1/residency/organization", http.RequestAborted);
        var regionsTask = api.GetAsync(user, "v1/residency/regions", http.RequestAborted);
        var body = new StringBuilder("<p class=\"hint\">Read-only here. Pinning the organization to a region is an Owner's change with a fresh second factor, through the residency API.</p>");
        body.Append(Section("Your organization", "residency", await residencyTask, r =>
            $"<dl class=\"facts\"><dt>Mode</dt><dd id=\"residency-mode\">{E(Tables.Raw(r.Body, "mode"))}</dd><dt>Region</dt><dd id=\"residency-region\">{E(Tables.Raw(r.Body, "region") ?? "none (multi-region)")}</dd>"
            + $"<dt>Allowed regions</dt><dd>{E(Tables.Raw(r.Body, "allowedRegions"))}</dd><dt>New data goes to</dt><dd>{E(Tables.Raw(r.Body, "defaultRegion"))}</dd><dt>Changed</dt><dd>{Tables.At("updatedAt")(r.Body)}</dd></dl>"));
        body.Append(Section("Regions", "regions", await regionsTask, r => Tables.Of("regions", "The platform's regions", OverviewPage.Items(r.Body),
            ("Id", Tables.Code("id")), ("Name", Tables.Value("name")), ("Jurisdiction", Tables.Value("jurisdiction")))));
        return Page(http, user, "Residency", body.ToString());
    }

    private static async Task<IResult> Sso(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var connectionsTask = api.GetAsync(user, $"v1/organizations/{U(org)}/sso/connections", http.RequestAborted);
        var domainsTask = api.GetAsync(user, $"v1/organizations/{U(org)}/sso/domains", http.RequestAborted);
        var scimTask = api.GetAsync(user, $"v1/organizations/{U(org)}/scim/token", http.RequestAborted);
        var body = new StringBuilder("<p class=\"hint\">Read-only here. Connections, domains and the SCIM token are an Owner's changes with a fresh second factor, through identity's API; a new SCIM token is shown once there.</p>");
        body.Append(Section("Connections", "connections", await connectionsTask, r => Tables.Of("connections", "Identity providers your members sign in with", OverviewPage.Items(r.Body),
            ("Name", Tables.Value("name")), ("Protocol", Tables.Value("protocol")), ("Issuer", Tables.Code("issuer")), ("Default role", Tables.Value("defaultRole")), ("Created", Tables.At("createdAt")))));
        body.Append(Section("Domains", "domains", await domainsTask, r => Tables.Of("domains", "Email domains claimed for single sign-on", OverviewPage.Items(r.Body),
            ("Domain", Tables.Code("domain")), ("Verified", Tables.Value("verified")), ("Single sign-on only", Tables.Value("ssoOnly")))));
        var scim = await scimTask;
        body.Append("<h2 id=\"scim-heading\">SCIM provisioning</h2>");
        body.Append(scim.Ok
            ? $"<p id=\"scim-status\">A SCIM token is active (…{E(Tables.Raw(scim.Body, "hint"))}), new members get {E(Tables.Raw(scim.Body, "defaultRole"))}; issued {Tables.At("createdAt")(scim.Body)}.</p>"
            : scim.Problem!.Status == 404 ? "<p id=\"scim-status\">No SCIM token: provisioning is off.</p>" : Problem(scim.Problem).Replace("id=\"problem\"", "id=\"scim-problem\"", StringComparison.Ordinal));
        return Page(http, user, "Single sign-on", body.ToString());
    }
}
