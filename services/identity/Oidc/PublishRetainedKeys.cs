using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace Platform.Identity.Oidc;

/// <summary>
/// Adds the retained (previous) signing keys to the JWKS (RFC 7517 section 5) after OpenIddict has added the current
/// one, so that verifiers such as the gateway keep accepting tokens signed before a rotation until they expire.
/// Public parameters only.
/// </summary>
internal sealed class PublishRetainedKeys(SigningKeyRing ring) : IOpenIddictServerHandler<HandleJsonWebKeySetRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } =
        OpenIddictServerHandlerDescriptor.CreateBuilder<HandleJsonWebKeySetRequestContext>()
            .UseSingletonHandler<PublishRetainedKeys>()
            .SetOrder(OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor.Order + 1)
            .SetType(OpenIddictServerHandlerType.Custom)
            .Build();

    public ValueTask HandleAsync(HandleJsonWebKeySetRequestContext context)
    {
        var published = context.Keys.Select(k => k.Kid).ToHashSet(StringComparer.Ordinal);
        foreach (var key in ring.Keys.Where(k => !published.Contains(k.KeyId)))
        {
            var parameters = key.ECDsa.ExportParameters(includePrivateParameters: false);
            context.Keys.Add(new JsonWebKey
            {
                Kty = JsonWebAlgorithmsKeyTypes.EllipticCurve,
                Crv = JsonWebKeyECTypes.P256,
                X = Base64UrlEncoder.Encode(parameters.Q.X),
                Y = Base64UrlEncoder.Encode(parameters.Q.Y),
                Kid = key.KeyId,
                Use = JsonWebKeyUseNames.Sig,
                Alg = SecurityAlgorithms.EcdsaSha256,
            });
        }

        return ValueTask.CompletedTask;
    }
}
