using Microsoft.AspNetCore.Authorization;
using Platform.Gateway.Problems;

namespace Platform.Gateway.Authorization;

/// <summary>Why the request's principal may not use the route, as the problem the client gets (an <see cref="AuthorizationFailureReason"/>).</summary>
internal sealed class RouteRefusal(IAuthorizationHandler handler, int status, string type, string title, string detail, string? challenge = null)
    : AuthorizationFailureReason(handler, title)
{
    public int Status => status;

    public string Type => type;

    public string Detail => detail;

    public string? Challenge => challenge;

    public Task WriteAsync(HttpContext context)
    {
        if (Challenge is { } value) context.Response.Headers.WWWAuthenticate = value;
        return EdgeProblem.WriteAsync(context, Status, Type, Message, Detail);
    }
}
