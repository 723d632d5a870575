using System.Net;
using System.Text;
using Platform.Security.Authentication;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// The organization's IP allowlist (keys service). The page shows the address the gateway sees for this browser and
/// refuses a list that leaves it out unless the user ticks that they mean it: a typo must not lock everyone out.
/// </summary>
internal static class NetworkPage
{
    public static void MapNetworkPage(this RouteGroupBuilder org)
    {
        org.MapGet("/network", Show);
        org.MapPost("/network", Save);
    }

    private static async Task<IResult> Show(string org, string? done, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var policy = await api.GetAsync(user, $"v1/organizations/{U(org)}/network-policy", http.RequestAborted);
        if (policy.Problem is { StepUpRequired: true }) return Results.Redirect(Guard.StepUpUrl(Guard.Here(http)));
        if (!policy.Ok) return Page(http, user, "Network policy", Problem(policy.Problem), 403);
        var list = policy.Body.GetProperty("allowedCidrs").EnumerateArray().Select(c => c.GetString()).ToList();
        return Render(http, user, string.Join('\n', list), null, null, done == "saved" ? "The allowlist is saved; the gateway applies it within seconds." : null);
    }

    private static IResult Render(HttpContext http, UserContext user, string text, string? error, ApiProblem? problem, string? notice, int status = 200)
    {
        var address = ClientAddresses.FromGateway(http) ?? "unknown";
        var body = new StringBuilder(Notice(notice));
        body.Append(Problem(problem));
        if (problem is { StepUpRequired: true }) body.Append(Guard.StepUpLink($"/console/o/{U(user.OrganizationId)}/network"));
        body.Append($"""<p>Your address, as the gateway sees it: <code id="your-address">{E(address)}</code></p>""");
        body.Append("<p>Requests of the organization's keys and members are accepted only from these addresses and ranges. Leave it empty for no restriction.</p>");
        var fields = Field("allowedCidrs", "Allowed addresses and CIDR ranges, one a line", text, error, "textarea", hint: "For example 203.0.113.0/24 or 2001:db8::/32; at most 50.")
            + """<div class="field check"><input type="checkbox" id="confirm" name="confirm" value="yes"><label for="confirm">I know this list leaves out my own address, and I may lose access</label></div>""";
        body.Append(Form(http, $"/console/o/{U(user.OrganizationId)}/network", fields, "Save allowlist", "network-policy"));
        return Page(http, user, "Network policy", body.ToString(), status);
    }

    private static async Task<IResult> Save(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var text = http.Request.Form["allowedCidrs"].ToString();
        var entries = text.Split(['\n', '\r', ',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (entries.Count > 50) return Render(http, user, text, "At most 50 entries.", null, null, 400);
        var networks = new List<IPNetwork>();
        foreach (var entry in entries)
        {
            if (IPNetwork.TryParse(entry, out var network)) networks.Add(network);
            else if (IPAddress.TryParse(entry, out var single)) networks.Add(new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            else return Render(http, user, text, $"\"{entry}\" is not an IP address or CIDR range.", null, null, 400);
        }

        var mine = IPAddress.TryParse(ClientAddresses.FromGateway(http), out var address) ? address : null;
        var includesMine = mine is not null && networks.Any(n => n.Contains(mine) || (mine.IsIPv4MappedToIPv6 && n.Contains(mine.MapToIPv4())));
        if (networks.Count > 0 && !includesMine && http.Request.Form["confirm"] != "yes")
        {
            return Render(http, user, text, $"This list does not include your address {mine}: saving it would lock you out. Add your address, or tick the box below if you mean it.", null, null, 400);
        }

        var saved = await api.SendAsync(user, HttpMethod.Put, $"v1/organizations/{U(org)}/network-policy", new { allowedCidrs = entries }, http.RequestAborted);
        if (!saved.Ok) return Render(http, user, text, saved.Problem!.ErrorFor("allowedCidrs"), saved.Problem, null, saved.Problem.Status);
        return Results.Redirect($"/console/o/{U(org)}/network?done=saved");
    }
}
