using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Platform.SecurityConsole.Api;
using Platform.SecurityConsole.Auth;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>What every organization page checks before it calls an API.</summary>
internal static partial class Guard
{
    [GeneratedRegex("^org_[A-Za-z0-9]{1,60}$")]
    private static partial Regex OrganizationId();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex ResourceId();

    public static bool IsResourceId(string? id) => id is not null && ResourceId().IsMatch(id);

    /// <summary>
    /// The signed-in user for the organization named in the URL. A session for another organization is switched by a
    /// new authorization for the named one (a GET only), which identity refuses unless the user is its member: the
    /// console never shows one organization's data with another's token, and its APIs would refuse it anyway.
    /// </summary>
    public static async Task<(UserContext? User, IResult? Instead)> ForAsync(HttpContext http, string org)
    {
        if (!OrganizationId().IsMatch(org)) return (null, Standalone(http, "No such organization", "<p id=\"refusal\">That is not an organization id.</p>", 404));
        var user = await UserContext.FromAsync(http);
        if (user is null) return (null, Results.Challenge(new AuthenticationProperties { RedirectUri = Here(http) }, [OpenIdConnectDefaults.AuthenticationScheme]));
        if (user.OrganizationId == org) return (user, null);
        if (HttpMethods.IsGet(http.Request.Method))
        {
            var properties = new AuthenticationProperties { RedirectUri = Here(http) };
            properties.Items[OidcSetup.OrganizationItem] = org;
            return (null, Results.Challenge(properties, [OpenIdConnectDefaults.AuthenticationScheme]));
        }

        return (null, Standalone(http, "Access refused",
            "<p id=\"refusal\">This form names another organization than the one you are signed in for. Nothing was changed.</p>", 403));
    }

    public static string Here(HttpContext http) => http.Request.Path + http.Request.QueryString;

    /// <summary>The page a form belongs to: <c>/console/o/{org}/{page}</c> of its address (the overview for the organization's own forms), else the start.</summary>
    public static string PageOf(PathString path) => path.Value?.Split('/') switch
    {
        ["", "console", "o", var org, var page, ..] when OrganizationId().IsMatch(org) && IsResourceId(page) => $"/console/o/{org}/{page}",
        ["", "console", "o", var org, ..] when OrganizationId().IsMatch(org) => $"/console/o/{org}",
        _ => "/console/",
    };

    /// <summary>Identity's step-up (a fresh second factor on the identity session), then a new authorization back to the page.</summary>
    public static string StepUpUrl(string returnPath) => "/mfa?returnUrl=" + U("/console/reauth?returnUrl=" + U(returnPath));

    public static string StepUpLink(string returnPath) =>
        $"""<p class="stepup" id="stepup">This needs a fresh second factor. <a id="stepup-link" href="{E(StepUpUrl(returnPath))}">Confirm with your authenticator app</a>, then try again.</p>""";

    /// <summary>Every POST of the console: its anti-forgery token must be the one this browser's page was given.</summary>
    public static async ValueTask<object?> AntiforgeryFilter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (HttpMethods.IsPost(http.Request.Method) && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
        {
            return Standalone(http, "Form refused",
                "<p id=\"refusal\">This form was not sent from the console's own page (its anti-forgery token is missing or wrong). Nothing was changed. <a href=\"/console/\">Back to the console</a></p>", 400);
        }

        return await next(context);
    }

    public static bool IsLocalConsolePath(string? url) =>
        url is { Length: > 0 and <= 2048 } && url.StartsWith("/console/", StringComparison.Ordinal) && !url.Contains("//", StringComparison.Ordinal)
        && !url.Contains('\\') && !url.Any(char.IsControl);
}
