using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Platform.Identity.Oidc;

/// <summary>
/// Keeps the user and organization of a presented refresh token in the request's transaction, read from its validated
/// principal just before OpenIddict checks the token's entry: when that check finds the token already redeemed (and
/// revokes its family), <see cref="AuditTokenReuse"/> can then name whose family it was.
/// </summary>
internal sealed class RememberRefreshTokenOwner : IOpenIddictServerHandler<ValidateTokenContext>
{
    private const string Property = ".platform_refresh_token_owner";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<ValidateTokenContext>()
            .UseSingletonHandler<RememberRefreshTokenOwner>()
            .SetOrder(OpenIddictServerHandlers.Protection.ValidateTokenEntry.Descriptor.Order - 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(ValidateTokenContext context)
    {
        if (context.Principal is { } principal && principal.HasTokenType(OpenIddictConstants.TokenTypeIdentifiers.RefreshToken))
        {
            context.Transaction.Properties[Property] = new TokenOwner(
                principal.GetClaim(OpenIddictConstants.Claims.Subject), principal.GetClaim(TokenClaims.OrganizationId));
        }

        return default;
    }

    /// <summary>The owner of the refresh token this request presented, once its signature and lifetime were checked.</summary>
    public static TokenOwner? Of(OpenIddictServerTransaction transaction) =>
        transaction.Properties.TryGetValue(Property, out var owner) ? owner as TokenOwner : null;

    public sealed record TokenOwner(string? UserId, string? OrganizationId);
}
