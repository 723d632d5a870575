using System.Text;
using System.Text.Json;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>The organization at a glance: id, name, your role, members, MFA enforcement, residency, recent security events.</summary>
internal static class OverviewPage
{
    public static void MapOverviewPage(this RouteGroupBuilder org) => org.MapGet("", Show);

    private static async Task<IResult> Show(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var cancel = http.RequestAborted;
        var settingsTask = api.GetAsync(user, $"v1/organizations/{U(org)}/settings", cancel);
        var membersTask = api.GetAsync(user, $"v1/organizations/{U(org)}/members", cancel);
        var residencyTask = api.GetAsync(user, "v1/residency/organization", cancel);
        // The plan is published with the retention policies, which every member reads.
        var policiesTask = api.GetAsync(user, "v1/retention/policies", cancel);
        var eventsTask = user.ReadsAudit ? api.GetAsync(user, "v1/audit/events?limit=10", cancel) : null;
        var settings = await settingsTask;
        var members = await membersTask;
        var residency = await residencyTask;
        var policies = await policiesTask;

        var body = new StringBuilder("<dl class=\"facts\">");
        void Fact(string id, string label, string valueHtml) => body.Append($"<dt>{E(label)}</dt><dd id=\"{id}\">{valueHtml}</dd>");
        Fact("organization-id", "Organization id", $"<code>{E(org)}</code>");
        Fact("organization-name", "Name", settings.Ok ? E(Text(settings.Body, "name")) : Problem(settings.Problem));
        Fact("your-role", "Your role", E(user.Role));
        Fact("members-count", "Members", members.Ok ? E(Items(members.Body).Count().ToString(System.Globalization.CultureInfo.InvariantCulture)) : Problem(members.Problem));
        Fact("mfa-enforcement", "Two-step verification", settings.Ok
            ? (settings.Body.GetProperty("requireMfa").GetBoolean() ? "required for every member" : "optional (each member's choice)")
            : "unknown");
        Fact("residency", "Data residency", residency.Ok
            ? (Text(residency.Body, "mode") == "single-region" ? $"pinned to region <code>{E(Text(residency.Body, "region"))}</code>" : $"multi-region (new data in <code>{E(Text(residency.Body, "defaultRegion"))}</code>)")
            : Problem(residency.Problem));
        Fact("plan", "Plan", policies.Ok ? E(Text(policies.Body, "plan")) : Problem(policies.Problem));
        Fact("your-mfa", "Your sign-in", user.Amr.Contains("mfa") ? $"with a second factor, {Time(user.AuthTime)}" : $"password only, {Time(user.AuthTime)}");
        body.Append("</dl>");

        if (eventsTask is not null)
        {
            var events = await eventsTask;
            body.Append("<h2>Recent security events</h2>");
            if (!events.Ok) body.Append(Problem(events.Problem));
            else body.Append(AuditPage.Table(Items(events.Body), withDetails: false));
            body.Append($"""<p><a href="/console/o/{E(U(org))}/audit">The whole audit log</a></p>""");
        }

        return Page(http, user, "Overview", body.ToString());
    }

    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static IEnumerable<JsonElement> Items(JsonElement page) =>
        page.ValueKind == JsonValueKind.Object && page.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array ? items.EnumerateArray() : [];
}
