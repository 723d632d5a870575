using Microsoft.AspNetCore.Http;
using Platform.Security.Gateway;
using Platform.Security.Tokens;

namespace Platform.Security.Authentication;

/// <summary>
/// Which kind of credential a request presents, decided from the headers alone, before anything is verified
/// (contract: one credential per request). The gateway's key principal (<c>X-Platform-Key-Id</c>) and any
/// <c>Authorization</c> or <c>X-Api-Key</c> together are two credentials; so are two <c>Authorization</c> values. A
/// user token the gateway forwards keeps its <c>X-Platform-User</c> headers: that is one credential, the token.
/// </summary>
public static class CredentialKinds
{
    public const string KeyIdHeader = "X-Platform-Key-Id";
    public const string UserHeader = "X-Platform-User";
    private const string GatewayHeaderPrefix = "X-Platform-";

    /// <param name="request">The request.</param>
    /// <param name="validatesAccessTokens">
    /// Whether this service validates access tokens itself. One that does not (storage) takes a user from the gateway's
    /// signed <c>X-Platform-User</c> headers, which describe the token the gateway validated and forwarded beside them.
    /// </param>
    public static string SchemeFor(HttpRequest request, bool validatesAccessTokens = true)
    {
        var headers = request.Headers;
        var authorization = headers.Authorization.Count;
        var apiKeys = headers["X-Api-Key"].Count;
        var gatewayKey = headers.ContainsKey(KeyIdHeader);
        var kinds = (authorization > 0 ? 1 : 0) + (apiKeys > 0 ? 1 : 0) + (gatewayKey ? 1 : 0);
        if (kinds > 1 || authorization > 1 || apiKeys > 1 || (gatewayKey && headers.ContainsKey(UserHeader))) return PlatformSchemes.Multiple;
        if (authorization == 1 && AccessTokenValidator.TryReadBearer(request, out _))
        {
            return validatesAccessTokens || !headers.ContainsKey(UserHeader) ? PlatformSchemes.AccessToken : PlatformSchemes.Gateway;
        }

        if (authorization == 1) return PlatformSchemes.Operator;
        return PlatformSchemes.Gateway;
    }

    /// <summary>Whether the request carries any header the gateway sets (it always sets <c>X-Platform-Client-Address</c>).</summary>
    public static bool CameThroughGateway(HttpRequest request)
    {
        foreach (var header in request.Headers)
        {
            if (header.Key.StartsWith(GatewayHeaderPrefix, StringComparison.OrdinalIgnoreCase) || header.Key.Equals(GatewaySignature.Header, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }
}
