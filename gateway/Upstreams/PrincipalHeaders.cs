using System.Globalization;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Authentication;
using Platform.Gateway.ClientAddresses;
using Yarp.ReverseProxy.Transforms;

namespace Platform.Gateway.Upstreams;

/// <summary>
/// What upstreams are told about the request (SPEC GW-AUTH), as a YARP request transform, from the request's one
/// principal and nothing else: the client address always (<c>X-Platform-Client-Address</c>); a key as
/// <c>X-Platform-Organization</c>, <c>-Key-Id</c>, <c>-Environment</c>, <c>-Scopes</c>; an access token as
/// <c>X-Platform-User</c>, <c>-Organization</c>, <c>-Roles</c>, <c>-Amr</c>, <c>-Auth-Time</c>. Runs before
/// <see cref="UpstreamSigner"/>, which signs them.
/// </summary>
internal static class PrincipalHeaders
{
    private const string Prefix = "X-Platform-";

    public static ValueTask AddAsync(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        if (context.HttpContext.ClientAddress() is { } client) headers.TryAddWithoutValidation(Prefix + "Client-Address", client.ToString());
        var principal = context.HttpContext.Principal();
        if (principal?.Key is { } key)
        {
            headers.TryAddWithoutValidation(Prefix + "Organization", key.OrganizationId);
            headers.TryAddWithoutValidation(Prefix + "Key-Id", key.KeyId);
            headers.TryAddWithoutValidation(Prefix + "Environment", key.Environment);
            headers.TryAddWithoutValidation(Prefix + "Scopes", KeyDetails.ScopesHeader(key.Scopes));
        }
        else if (principal?.Token is { } token)
        {
            headers.TryAddWithoutValidation(Prefix + "User", token.Subject);
            if (token.OrganizationId is { } organization) headers.TryAddWithoutValidation(Prefix + "Organization", organization);
            headers.TryAddWithoutValidation(Prefix + "Roles", string.Join(' ', token.Roles));
            headers.TryAddWithoutValidation(Prefix + "Amr", string.Join(' ', token.Methods));
            if (token.AuthTime is { } authTime) headers.TryAddWithoutValidation(Prefix + "Auth-Time", authTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
        }

        return ValueTask.CompletedTask;
    }
}
