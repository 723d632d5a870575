using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.EntityFrameworkCore.Models;
using OpenIddict.Server;
using Platform.Identity.Data;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Oidc;

/// <summary>The OpenID Connect provider (ID-OIDC) on OpenIddict with its EF Core stores on PostgreSQL.</summary>
internal static class OidcSetup
{
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";
    public const string IntrospectPath = "/connect/introspect";
    public const string RevokePath = "/connect/revoke";
    public const string UserInfoPath = "/connect/userinfo";
    public const string EndSessionPath = "/connect/endsession";
    public const string JwksPath = "/.well-known/jwks";

    public static void AddOidc(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(IdentityOptions.Section).Get<IdentityOptions>() ?? new IdentityOptions();
        builder.Services.AddDbContextPool<OidcDbContext>((services, options) =>
        {
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>());
            options.UseOpenIddict();
        });

        builder.Services.AddSingleton<SigningKeyRing>();
        builder.Services.AddSingleton<ClientOwners>();
        // The replica's clients, shared by its requests and dropped on every change (ClientCache): a grant reads none.
        builder.Services.AddSingleton<ClientCache>();
        builder.Services.AddHostedService<ClientCacheListener>();
        builder.Services.AddScoped<IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication>, ReplicaApplicationCache>();
        builder.Services.AddScoped<Consents>();
        builder.Services.AddSingleton<SigningKeyRotator>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SigningKeyRotator>());
        builder.Services.AddHttpContextAccessor();

        builder.Services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<OidcDbContext>();
                core.ReplaceApplicationManager<OpenIddictEntityFrameworkCoreApplication, HashedSecretApplicationManager>();
            })
            .AddServer(server =>
            {
                if (Uri.TryCreate(settings.Issuer, UriKind.Absolute, out var issuer)) server.SetIssuer(issuer);
                server.SetAuthorizationEndpointUris(AuthorizePath.TrimStart('/'))
                    .SetTokenEndpointUris(TokenPath.TrimStart('/'))
                    .SetIntrospectionEndpointUris(IntrospectPath.TrimStart('/'))
                    .SetRevocationEndpointUris(RevokePath.TrimStart('/'))
                    .SetUserInfoEndpointUris(UserInfoPath.TrimStart('/'))
                    .SetEndSessionEndpointUris(EndSessionPath.TrimStart('/'))
                    .SetJsonWebKeySetEndpointUris(JwksPath.TrimStart('/'));

                server.AllowAuthorizationCodeFlow().AllowClientCredentialsFlow().AllowRefreshTokenFlow();
                // RFC 7636: PKCE for every code request, S256 only (OAuth 2.0 Security BCP, RFC 9700 section 2.1.1).
                server.RequireProofKeyForCodeExchange();
                server.RegisterScopes([.. OidcScopes.ClientSelectable]);
                server.RegisterClaims(Claims.Subject, Claims.Email, "org_id", "roles", Claims.AuthenticationMethodReference, Claims.AuthenticationTime, Claims.Scope);

                server.SetAccessTokenLifetime(settings.Tokens.AccessTokenLifetime)
                    .SetIdentityTokenLifetime(settings.Tokens.AccessTokenLifetime)
                    .SetRefreshTokenLifetime(settings.Tokens.RefreshTokenLifetime)
                    .SetAuthorizationCodeLifetime(TimeSpan.FromMinutes(2));
                // Rolling refresh tokens (the default) with no reuse leeway: a refresh token works exactly once,
                // and a second use revokes the whole authorization (reuse detection).
                server.SetRefreshTokenReuseLeeway(TimeSpan.Zero);

                // Access tokens are signed JWTs the gateway validates from the JWKS; they carry nothing secret.
                server.DisableAccessTokenEncryption();
                // Codes and refresh tokens are encrypted under a key derived from Identity:DataKey.
                server.AddEncryptionKey(new SymmetricSecurityKey(DeriveEncryptionKey(settings.DataKey)));
                server.AddEventHandler(PublishRetainedKeys.Descriptor);
                server.AddEventHandler(RememberRefreshTokenOwner.Descriptor);
                server.AddEventHandler(AuditTokenReuse.Descriptor);
                server.AddEventHandler(StatelessClientAccessTokens.Descriptor);

                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    .EnableUserInfoEndpointPassthrough()
                    .EnableEndSessionEndpointPassthrough();
            });

        // Runs before OpenIddict's own checks (which need a signing key) on the first read of the options.
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ConfigureSigningKeys>();
        builder.Services.AddSingleton<IPostConfigureOptions<OpenIddictServerOptions>, ConfigureSigningKeysAfter>();
    }

    private static byte[] DeriveEncryptionKey(string dataKey)
    {
        // An invalid key fails start-up validation first; the random stand-in only lets configuration reach it.
        var buffer = new byte[Math.Max(dataKey.Length, 1)];
        var key = Convert.TryFromBase64String(dataKey, buffer, out var length) && length >= 32 ? buffer[..length] : RandomNumberGenerator.GetBytes(32);
        return HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, salt: [], info: "platform-identity/openiddict-encryption"u8.ToArray());
    }

    private sealed class ConfigureSigningKeys(SigningKeyRing ring) : IConfigureOptions<OpenIddictServerOptions>
    {
        public void Configure(OpenIddictServerOptions options)
        {
            ring.RefreshAsync(forceRotation: false, CancellationToken.None).GetAwaiter().GetResult();
            options.SigningCredentials.Add(new SigningCredentials(ring.Current, SecurityAlgorithms.EcdsaSha256));
            // S256 only: "plain" would let an intercepted code be redeemed (RFC 7636 section 7.2).
            options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
        }
    }

    private sealed class ConfigureSigningKeysAfter(SigningKeyRing ring) : IPostConfigureOptions<OpenIddictServerOptions>
    {
        public void PostConfigure(string? name, OpenIddictServerOptions options)
        {
            options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain);
            ring.Apply(options);
        }
    }
}
