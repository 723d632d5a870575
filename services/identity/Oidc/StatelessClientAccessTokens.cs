using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Platform.Identity.Oidc;

/// <summary>
/// Client-credentials access tokens are short-lived signed JWTs (<c>Tokens:AccessTokenLifetime</c>, 10 minutes) that
/// the gateway validates from the JWKS without calling identity, so a row per token in the token store bought nothing
/// but an INSERT and a cache entry on every grant. They are not stored, and so cannot be revoked one by one: the
/// revocation endpoint answers <c>unsupported_token_type</c> (RFC 7009 section 2.2.1) and the token stays valid until it expires. Every token issued to a user
/// (codes, access, refresh and identity tokens) is still stored: refresh-token reuse detection and a password reset's
/// revocation depend on it.
/// </summary>
internal sealed class StatelessClientAccessTokens : IOpenIddictServerHandler<GenerateTokenContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<GenerateTokenContext>()
            .UseSingletonHandler<StatelessClientAccessTokens>()
            .SetOrder(OpenIddictServerHandlers.Protection.CreateTokenEntry.Descriptor.Order - 500)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(GenerateTokenContext context)
    {
        if (context.TokenType == OpenIddictConstants.TokenTypeIdentifiers.AccessToken && context.Request?.IsClientCredentialsGrantType() == true)
        {
            context.CreateTokenEntry = false;
            context.PersistTokenPayload = false;
            context.IsReferenceToken = false;
        }

        return default;
    }
}
