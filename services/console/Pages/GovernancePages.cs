using System.Text;
using System.Text.Json;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Residency (every member reads; an Owner pins or unpins) and single sign-on (Owners and Admins read connections,
/// domains and the SCIM token's status; an Owner issues or revokes the SCIM token, shown once). Both APIs ask for a
/// fresh second factor to change anything: a refusal is shown by its form with the step-up link. Connections and
/// domains are changed through identity's API (a connection needs the IdP's discovery document, a domain a DNS record).
/// </summary>
internal static class GovernancePages
{
    private static readonly string[] Modes = ["multi-region", "single-region"];
    private static readonly string[] ScimRoles = ["Viewer", "Developer", "Auditor", "Admin"];

    public static void MapGovernancePages(this RouteGroupBuilder org)
    {
        org.MapGet("/residency", Residency);
        org.MapPost("/residency", SetResidency);
        org.MapGet("/sso", Sso);
        org.MapPost("/sso/scim-token", IssueScimToken);
        org.MapPost("/sso/scim-token/revoke", RevokeScimToken);
    }

    private static string Section(string title, string id, ApiResult result, Func<ApiResult, string> show) =>
        $"<h2 id=\"{E(id)}-heading\">{E(title)}</h2>" + (result.Ok ? show(result) : Problem(result.Problem).Replace("id=\"problem\"", $"id=\"{E(id)}-problem\"", StringComparison.Ordinal));

    private static string FormProblem(FormState? state, string form, string returnPath) => state?.ProblemOf(form) is { } problem
        ? Problem(problem) + (problem.StepUpRequired ? Guard.StepUpLink(returnPath) : "")
        : "";

    private static Task<IResult> Residency(string org, string? done, HttpContext http, PlatformApi api) =>
        RenderResidencyAsync(org, http, api, done == "set" ? "The residency is changed." : null, null);

    private static async Task<IResult> RenderResidencyAsync(string org, HttpContext http, PlatformApi api, string? notice, FormState? state, int status = 200)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var residencyTask = api.GetAsync(user, "v1/residency/organization", http.RequestAborted);
        var regionsTask = api.GetAsync(user, "v1/residency/regions", http.RequestAborted);
        var residency = await residencyTask;
        var regions = await regionsTask;
        var body = new StringBuilder(Notice(notice));
        body.Append(Section("Your organization", "residency", residency, r =>
            $"<dl class=\"facts\"><dt>Mode</dt><dd id=\"residency-mode\">{E(Tables.Raw(r.Body, "mode"))}</dd><dt>Region</dt><dd id=\"residency-region\">{E(Tables.Raw(r.Body, "region") ?? "none (multi-region)")}</dd>"
            + $"<dt>Allowed regions</dt><dd>{E(Tables.Raw(r.Body, "allowedRegions"))}</dd><dt>New data goes to</dt><dd>{E(Tables.Raw(r.Body, "defaultRegion"))}</dd><dt>Changed</dt><dd>{Tables.At("updatedAt")(r.Body)}</dd></dl>"));
        body.Append(Section("Regions", "regions", regions, r => Tables.Of("regions", "The platform's regions", OverviewPage.Items(r.Body),
            ("Id", Tables.Code("id")), ("Name", Tables.Value("name")), ("Jurisdiction", Tables.Value("jurisdiction")))));
        if (user.Role == "Owner" && residency.Ok && regions.Ok)
        {
            body.Append("<h2>Change the residency</h2><p class=\"hint\">Pinning keeps every dataset in one region; it is refused while data lies elsewhere. An Owner's change, with a second factor confirmed in the last 15 minutes.</p>");
            body.Append(FormProblem(state, "residency", $"/console/o/{U(org)}/residency"));
            var regionOptions = OverviewPage.Items(regions.Body).Select(r => (Tables.Raw(r, "id") ?? "", $"{Tables.Raw(r, "id")} ({Tables.Raw(r, "name")})")).Prepend(("", "none (multi-region)"));
            body.Append(Form(http, $"/console/o/{U(org)}/residency",
                Select("mode", "Mode", Modes, state?.Value("residency", "mode") ?? Tables.Raw(residency.Body, "mode"), id: "residency-mode-select", error: state?.Error("residency", "mode"))
                + Select("region", "Region (single-region only)", regionOptions, state?.Value("residency", "region") ?? Tables.Raw(residency.Body, "region"), id: "residency-region-select", error: state?.Error("residency", "region")),
                "Save residency", "set-residency"));
        }

        return Page(http, user, "Residency", body.ToString(), status);
    }

    private static async Task<IResult> SetResidency(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        string[] fields = ["mode", "region"];
        var mode = http.Request.Form["mode"].ToString();
        var region = http.Request.Form["region"].ToString();
        var errors = new Dictionary<string, string>();
        if (!Modes.Contains(mode)) errors["mode"] = "Choose multi-region or single-region.";
        else if (mode == "single-region" && region.Length == 0) errors["region"] = "Choose the region to pin the organization to.";
        else if (mode == "multi-region" && region.Length > 0) errors["region"] = "A multi-region organization has no region: choose none.";
        if (errors.Count > 0) return await RenderResidencyAsync(org, http, api, null, FormState.Of(http, "residency", fields, errors), 400);
        var set = await api.SendAsync(user, HttpMethod.Put, "v1/residency/organization", new { mode, region = region.Length == 0 ? null : region }, http.RequestAborted);
        if (!set.Ok) return await RenderResidencyAsync(org, http, api, null, FormState.Of(http, "residency", fields, [], set.Problem), set.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/residency?done=set");
    }

    private static Task<IResult> Sso(string org, string? done, HttpContext http, PlatformApi api) =>
        RenderSsoAsync(org, http, api, done == "revoked" ? "The SCIM token is revoked: provisioning with it stops now." : null, null);

    private static async Task<IResult> RenderSsoAsync(string org, HttpContext http, PlatformApi api, string? notice, FormState? state, int status = 200)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var connectionsTask = api.GetAsync(user, $"v1/organizations/{U(org)}/sso/connections", http.RequestAborted);
        var domainsTask = api.GetAsync(user, $"v1/organizations/{U(org)}/sso/domains", http.RequestAborted);
        var scimTask = api.GetAsync(user, $"v1/organizations/{U(org)}/scim/token", http.RequestAborted);
        var connections = await connectionsTask;
        var body = new StringBuilder(Notice(notice));
        if (!connections.Ok && connections.Problem!.Status is 401 or 403)
        {
            body.Append(Problem(connections.Problem));
            return Page(http, user, "Single sign-on", body.ToString(), 403);
        }

        body.Append("<p class=\"hint\">Connections and domains are an Owner's changes through identity's API (<code>/v1/organizations/{org}/sso/…</code>): a connection needs the identity provider's discovery document, a domain a DNS record.</p>");
        body.Append(Section("Connections", "connections", connections, r => Tables.Of("connections", "Identity providers your members sign in with", OverviewPage.Items(r.Body),
            ("Name", Tables.Value("name")), ("Protocol", Tables.Value("protocol")), ("Issuer", Tables.Code("issuer")), ("Default role", Tables.Value("defaultRole")), ("Created", Tables.At("createdAt")))));
        body.Append(Section("Domains", "domains", await domainsTask, r => Tables.Of("domains", "Email domains claimed for single sign-on", OverviewPage.Items(r.Body),
            ("Domain", Tables.Code("domain")), ("Verified", Tables.Value("verified")), ("Single sign-on only", Tables.Value("ssoOnly")))));
        var scim = await scimTask;
        body.Append("<h2 id=\"scim-heading\">SCIM provisioning</h2>");
        var hasToken = scim.Ok;
        body.Append(scim.Ok
            ? $"<p id=\"scim-status\">A SCIM token is active (…{E(Tables.Raw(scim.Body, "hint"))}), new members get {E(Tables.Raw(scim.Body, "defaultRole"))}; issued {Tables.At("createdAt")(scim.Body)}.</p>"
            : scim.Problem!.Status == 404 ? "<p id=\"scim-status\">No SCIM token: provisioning is off.</p>" : Problem(scim.Problem).Replace("id=\"problem\"", "id=\"scim-problem\"", StringComparison.Ordinal));
        if (user.Role == "Owner")
        {
            body.Append(FormProblem(state, "scim", $"/console/o/{U(org)}/sso"));
            body.Append(Form(http, $"/console/o/{U(org)}/sso/scim-token",
                Select("defaultRole", "Role of provisioned members", ScimRoles, state?.Value("scim", "defaultRole") ?? "Viewer", id: "scim-role", error: state?.Error("scim", "defaultRole")),
                hasToken ? "Replace the token" : "Issue a token", "issue-scim-token"));
            if (hasToken) body.Append(Form(http, $"/console/o/{U(org)}/sso/scim-token/revoke", "", "Revoke the token", "revoke-scim-token", buttonClass: "danger"));
        }

        return Page(http, user, "Single sign-on", body.ToString(), status);
    }

    private static async Task<IResult> IssueScimToken(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var role = http.Request.Form["defaultRole"].ToString();
        if (!ScimRoles.Contains(role))
            return await RenderSsoAsync(org, http, api, null, FormState.Of(http, "scim", ["defaultRole"], new() { ["defaultRole"] = "Choose Viewer, Developer, Auditor or Admin (SCIM never makes an Owner)." }), 400);
        var issued = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/scim/token", new { defaultRole = role }, http.RequestAborted);
        if (!issued.Ok) return await RenderSsoAsync(org, http, api, null, FormState.Of(http, "scim", ["defaultRole"], [], issued.Problem), issued.Problem!.Status);
        return NewScimToken(http, user, issued.Body);
    }

    private static async Task<IResult> RevokeScimToken(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var revoked = await api.SendAsync(user, HttpMethod.Delete, $"v1/organizations/{U(org)}/scim/token", null, http.RequestAborted);
        if (!revoked.Ok) return await RenderSsoAsync(org, http, api, null, new FormState("scim", new Dictionary<string, string>(), new Dictionary<string, string>(), revoked.Problem), revoked.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/sso?done=revoked");
    }

    /// <summary>The one time a SCIM token is shown: not cached, not in any URL, with a copy button and the warning.</summary>
    private static IResult NewScimToken(HttpContext http, UserContext user, JsonElement issued)
    {
        var body = $"""
            <p class="warning" role="alert" id="scim-warning"><strong>Copy this token into your identity provider now.</strong> It is shown only this once; an earlier token stops working.</p>
            <div class="secret"><label for="new-scim-token">SCIM token</label>
            <input id="new-scim-token" type="text" readonly value="{E(OverviewPage.Text(issued, "token"))}" autocomplete="off" spellcheck="false">
            <button type="button" class="copy" data-copy="new-scim-token" hidden>Copy</button></div>
            <p>SCIM base address: <code id="scim-base-url">{E(OverviewPage.Text(issued, "baseUrl"))}</code>; provisioned members get {E(OverviewPage.Text(issued, "defaultRole"))}.</p>
            <p><a id="back-to-sso" href="/console/o/{E(U(user.OrganizationId))}/sso">I have copied it: back to single sign-on</a></p>
            """;
        return Page(http, user, "Your new SCIM token", body, 201);
    }
}
