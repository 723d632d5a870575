using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Mfa;
using Platform.Identity.Model;
using Platform.Messaging;

namespace Platform.Identity.Sso;

/// <summary>Where a sign-in through an IdP goes: the IdP's authorization URL, with the state cookie to set.</summary>
internal sealed record SsoStart(string AuthorizationUrl, string State);

/// <summary>A sign-in through an IdP that succeeded (the user and where to go), or the reason it was refused.</summary>
internal sealed record SsoResult(User? User, string? ReturnUrl, string? Reason, string? OrganizationId, bool Provisioned = false)
{
    public static SsoResult Refused(string reason, string? organizationId = null) => new(null, null, reason, organizationId);
}

/// <summary>
/// The relying party (issue 18 item 3): authorization code flow with PKCE (S256), state (single use, bound to the
/// browser by a cookie) and nonce; the ID token's signature checked against the issuer's JWKS and its issuer,
/// audience, azp, lifetime and nonce checked; <c>email_verified</c> required and the email's domain verified by the
/// connection's own organization before an account is matched or created (just-in-time, with the connection's
/// default role). Hand-written on Microsoft.IdentityModel's JWT validation: OpenIddict's client takes its
/// registrations at start-up, and connections here are created and removed at run time per organization.
/// </summary>
internal sealed partial class SsoFederation(
    NpgsqlDataSource dataSource,
    SsoStore store,
    IssuerDiscovery discovery,
    DataProtector protector,
    UserStore users,
    SsoUserinfo userinfoReader,
    IHttpClientFactory clients,
    IOutbox outbox,
    TimeProvider clock,
    IOptions<IdentityOptions> options,
    ILogger<SsoFederation> logger)
{
    public const string StateCookie = "__Host-platform-sso";
    private static readonly string[] Algorithms =
        [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384,
         SecurityAlgorithms.RsaSsaPssSha512, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512];

    /// <summary>The connection that home-realm discovery picks for an address: its domain verified by an organization that has it.</summary>
    public async Task<SsoConnection?> ConnectionForEmailAsync(string? email, CancellationToken cancellationToken)
    {
        if (!EmailAddress.TryNormalize(email, out var normalized)) return null;
        var domain = normalized[(normalized.LastIndexOf('@') + 1)..];
        return await store.VerifiedDomainAsync(domain, cancellationToken) is { } verified ? await store.ConnectionByIdAsync(verified.ConnectionId, cancellationToken) : null;
    }

    public async Task<SsoStart> StartAsync(SsoConnection connection, string? loginHint, string? returnUrl, CancellationToken cancellationToken)
    {
        var state = SsoAdministration.Base64Url(RandomNumberGenerator.GetBytes(32));
        var nonce = SsoAdministration.Base64Url(RandomNumberGenerator.GetBytes(32));
        var verifier = SsoAdministration.Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = SsoAdministration.Base64Url(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var stateHash = SsoStore.Hash(state);
        var now = clock.GetUtcNow();
        await store.SaveLoginAsync(stateHash, connection.Id, nonce, protector.Protect(System.Text.Encoding.ASCII.GetBytes(verifier), VerifierContext(stateHash)), returnUrl,
            now, now + options.Value.Sso.LoginLifetime, cancellationToken);
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = connection.ClientId,
            ["redirect_uri"] = SsoApi.RedirectUri(options.Value.Issuer),
            ["scope"] = connection.Scopes,
            ["state"] = state,
            ["nonce"] = nonce,
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        if (loginHint is not null) query["login_hint"] = loginHint;
        return new SsoStart(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(connection.AuthorizationEndpoint, query), state);
    }

    /// <summary>The IdP's answer at the redirect URI. Nothing is created unless every check passes.</summary>
    public async Task<SsoResult> CompleteAsync(string? state, string? browserState, string? code, string? error, RequestInfo request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 128) return await RefuseAsync(request, SsoResult.Refused("missing-state"), cancellationToken);
        // The state must be the one this browser was given (login CSRF): a state from another browser's sign-in is refused.
        if (browserState is null || !CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(state), System.Text.Encoding.UTF8.GetBytes(browserState)))
        {
            return await RefuseAsync(request, SsoResult.Refused("state-not-of-this-browser"), cancellationToken);
        }

        var stateHash = SsoStore.Hash(state);
        if (await store.SpendLoginAsync(stateHash, clock.GetUtcNow(), cancellationToken) is not { } login)
        {
            return await RefuseAsync(request, SsoResult.Refused("state-unknown-expired-or-replayed"), cancellationToken);
        }

        var connection = await store.ConnectionByIdAsync(login.ConnectionId, cancellationToken);
        if (connection is null) return await RefuseAsync(request, SsoResult.Refused("connection-removed"), cancellationToken);
        var org = connection.OrganizationId;
        if (!string.IsNullOrEmpty(error)) return await RefuseAsync(request, SsoResult.Refused("idp-error", org), cancellationToken, connection.Id);
        if (string.IsNullOrEmpty(code) || code.Length > 2048) return await RefuseAsync(request, SsoResult.Refused("missing-code", org), cancellationToken, connection.Id);

        var verifier = System.Text.Encoding.ASCII.GetString(protector.Unprotect(login.SealedVerifier, VerifierContext(stateHash)));
        var (idToken, accessToken) = await ExchangeAsync(connection, code, verifier, cancellationToken);
        if (idToken is null) return await RefuseAsync(request, SsoResult.Refused("token-exchange-failed", org), cancellationToken, connection.Id);

        var metadata = new IssuerMetadata(connection.Issuer, connection.AuthorizationEndpoint, connection.TokenEndpoint, connection.JwksUri);
        var keys = await discovery.SigningKeysAsync(metadata, cancellationToken);
        if (keys is null) return await RefuseAsync(request, SsoResult.Refused("jwks-unavailable", org), cancellationToken, connection.Id);
        var (token, reason) = await ValidateAsync(idToken, connection, keys, login.Nonce);
        if (token is null) return await RefuseAsync(request, SsoResult.Refused(reason!, org), cancellationToken, connection.Id);

        var subject = token.Subject;
        if (string.IsNullOrEmpty(subject) || subject.Length > 255) return await RefuseAsync(request, SsoResult.Refused("missing-subject", org), cancellationToken, connection.Id);
        var claims = SsoClaims.From(token.EncodedPayload, connection.GroupsClaim);
        var mappings = await store.RoleMappingsAsync(connection.Id, cancellationToken);
        if (claims.Lacks(wantGroups: mappings.Count > 0) && connection.UserinfoEndpoint is not null && accessToken is not null)
        {
            // OpenID Connect Core 5.4/5.3: an IdP may put these only in the userinfo answer (the ID token carries the
            // subject). The answer is taken only for the same subject (section 5.3.2), and only for what the ID token lacks.
            var (userinfo, userinfoReason) = await userinfoReader.ReadAsync(connection, accessToken, subject, cancellationToken);
            if (userinfo is null) return await RefuseAsync(request, SsoResult.Refused(userinfoReason!, org), cancellationToken, connection.Id);
            claims = claims.Complete(userinfo);
        }

        if (claims.EmailVerified != true) return await RefuseAsync(request, SsoResult.Refused("email-not-verified", org), cancellationToken, connection.Id);
        if (claims.Email is not { } email || !EmailAddress.TryNormalize(email, out _))
        {
            return await RefuseAsync(request, SsoResult.Refused("missing-email", org), cancellationToken, connection.Id);
        }

        return await AdmitAsync(connection, subject, email.Trim(), login.ReturnUrl, request, cancellationToken, claims.Groups);
    }

    /// <summary>
    /// What follows an IdP answer whose every protocol check passed, for OpenID Connect and SAML alike: the email's
    /// domain must be verified by the connection's own organization, a guarded existing account is not taken over,
    /// then the linked, existing or new account (just in time) and its membership.
    /// </summary>
    /// <param name="groups">The IdP's groups for the user (null: the IdP said nothing of them, and the role is left as it is).</param>
    public async Task<SsoResult> AdmitAsync(SsoConnection connection, string subject, string email, string? returnUrl, RequestInfo request, CancellationToken cancellationToken,
        IReadOnlyList<string>? groups = null)
    {
        var org = connection.OrganizationId;
        if (!EmailAddress.TryNormalize(email, out var normalized)) return await RefuseAsync(request, SsoResult.Refused("missing-email", org), cancellationToken, connection.Id);
        var domain = normalized[(normalized.LastIndexOf('@') + 1)..];
        var verified = await store.VerifiedDomainAsync(domain, cancellationToken);
        if (verified is null || verified.OrganizationId != org)
        {
            // An IdP speaks only for the domains its own organization has proven (never another organization's).
            return await RefuseAsync(request, SsoResult.Refused(verified is null ? "email-domain-not-verified" : "email-domain-of-another-organization", org), cancellationToken, connection.Id);
        }

        if (await store.LinkedUserAsync(connection.Id, subject, cancellationToken) is null && await GuardedAccountAsync(normalized, org, cancellationToken))
        {
            // An existing account with a second factor, or with a place in another organization, is not taken over by
            // an IdP that merely asserts its address: the IdP's Owner would skip that factor and reach the other
            // organization's data. Such an account signs in as before.
            return await RefuseAsync(request, SsoResult.Refused("existing-account-not-linkable", org), cancellationToken, connection.Id);
        }

        var (user, provisioned) = await ProvisionAsync(connection, subject, email, normalized, groups, request, cancellationToken);
        LogSignedIn(logger, user.Id, connection.Id);
        return new SsoResult(user, returnUrl, null, org, provisioned);
    }

    /// <summary>Whether an account with this address exists and has a second factor or a membership outside <paramref name="organizationId"/>.</summary>
    private async Task<bool> GuardedAccountAsync(string normalizedEmail, string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT EXISTS (
                SELECT 1 FROM users u WHERE u.email_normalized = $1 AND (u.totp_secret IS NOT NULL
                    OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.org_id <> $2)))
            """);
        command.Parameters.AddWithValue(normalizedEmail);
        command.Parameters.AddWithValue(organizationId);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static string VerifierContext(byte[] stateHash) => "sso-login:" + Convert.ToHexString(stateHash);

    private async Task<(string? IdToken, string? AccessToken)> ExchangeAsync(SsoConnection connection, string code, string verifier, CancellationToken cancellationToken)
    {
        var secret = System.Text.Encoding.UTF8.GetString(protector.Unprotect(connection.SealedSecret, SsoAdministration.SecretContext(connection.Id)));
        using var client = clients.CreateClient(IssuerDiscovery.HttpClientName);
        using var message = new HttpRequestMessage(HttpMethod.Post, connection.TokenEndpoint)
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code",
                ["code"] = code,
                ["redirect_uri"] = SsoApi.RedirectUri(options.Value.Issuer),
                ["code_verifier"] = verifier,
            }),
        };
        // client_secret_basic (RFC 6749 section 2.3.1): each part form-encoded first.
        message.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(connection.ClientId)}:{Uri.EscapeDataString(secret)}")));
        try
        {
            using var response = await client.SendAsync(message, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                LogExchangeFailed(logger, connection.Id, (int)response.StatusCode);
                return (null, null);
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            string? Read(string name) => document.RootElement.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return (Read("id_token"), Read("access_token"));
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException)
        {
            LogExchangeFailed(logger, connection.Id, 0);
            return (null, null);
        }
    }

    private async Task<(JsonWebToken? Token, string? Reason)> ValidateAsync(string idToken, SsoConnection connection, IReadOnlyList<SecurityKey> keys, string nonce)
    {
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = connection.Issuer,
            ValidAudience = connection.ClientId,
            IssuerSigningKeys = keys,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            // Lifetime is checked below on the service's clock.
            ValidateLifetime = false,
            ValidateIssuerSigningKey = true,
        };
        var result = await new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(idToken, parameters);
        if (!result.IsValid)
        {
            return (null, result.Exception switch
            {
                SecurityTokenInvalidIssuerException => "wrong-issuer",
                SecurityTokenInvalidAudienceException => "wrong-audience",
                SecurityTokenInvalidAlgorithmException => "algorithm-not-allowed",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "bad-signature",
                _ => "invalid-id-token",
            });
        }

        var token = (JsonWebToken)result.SecurityToken;
        var now = clock.GetUtcNow().UtcDateTime;
        var skew = options.Value.Sso.ClockSkew;
        if (token.ValidTo == DateTime.MinValue || token.ValidTo < now - skew) return (null, "expired");
        if (token.IssuedAt > now + skew || (token.ValidFrom != DateTime.MinValue && token.ValidFrom > now + skew)) return (null, "not-yet-valid");
        var audiences = token.Audiences.ToList();
        if (audiences.Count > 1 && (!token.TryGetPayloadValue<string>("azp", out var azp) || azp != connection.ClientId)) return (null, "wrong-authorized-party");
        if (!token.TryGetPayloadValue<string>("nonce", out var claimed) || string.IsNullOrEmpty(claimed)) return (null, "missing-nonce");
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(claimed), System.Text.Encoding.UTF8.GetBytes(nonce))) return (null, "nonce-mismatch");
        return (token, null);
    }

    /// <summary>The user linked to this IdP subject, else the account with that address, else a new one; and the membership with the connection's default role.</summary>
    private async Task<(User User, bool Provisioned)> ProvisionAsync(SsoConnection connection, string subject, string email, string normalized, IReadOnlyList<string>? groups,
        RequestInfo request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var org = connection.OrganizationId;
        var mapped = groups is null ? null : SsoRoles.FromGroups(await store.RoleMappingsAsync(connection.Id, cancellationToken), groups, connection.DefaultRole);
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        var userId = await store.LinkedUserAsync(connection.Id, subject, cancellationToken);
        var provisioned = false;
        if (userId is null)
        {
            var newId = Ids.NewUser();
            // No password: such an account signs in through its IdP (a password reset can give it one where SSO is not required).
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO users (id, email, email_normalized, password_hash, created_at, email_verified_at) VALUES ($1, $2, $3, '!sso', $4, $4)
                ON CONFLICT (email_normalized) DO UPDATE SET email_verified_at = COALESCE(users.email_verified_at, EXCLUDED.email_verified_at)
                RETURNING id
                """, db, transaction))
            {
                insert.Parameters.AddWithValue(newId);
                insert.Parameters.AddWithValue(email);
                insert.Parameters.AddWithValue(normalized);
                insert.Parameters.AddWithValue(now);
                userId = (string)(await insert.ExecuteScalarAsync(cancellationToken))!;
            }

            provisioned = userId == newId;
            await using var link = new NpgsqlCommand(
                "INSERT INTO sso_identities (connection_id, subject, user_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", db, transaction);
            link.Parameters.AddWithValue(connection.Id);
            link.Parameters.AddWithValue(subject);
            link.Parameters.AddWithValue(userId);
            link.Parameters.AddWithValue(now);
            await link.ExecuteNonQueryAsync(cancellationToken);
            if (provisioned)
            {
                await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.SsoUserProvisioned, "success", userId, org,
                    new Dictionary<string, string> { ["connection_id"] = connection.Id }), transaction, cancellationToken);
            }
        }

        await using (var member = new NpgsqlCommand(
            "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", db, transaction))
        {
            member.Parameters.AddWithValue(org);
            member.Parameters.AddWithValue(userId);
            member.Parameters.AddWithValue(mapped ?? connection.DefaultRole);
            member.Parameters.AddWithValue(now);
            if (await member.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.MemberJoined, "success", userId, org,
                    new Dictionary<string, string> { ["role"] = mapped ?? connection.DefaultRole, ["via"] = "sso", ["connection_id"] = connection.Id }), transaction, cancellationToken);
            }
            else if (mapped is not null)
            {
                await SsoRoles.ApplyAsync(transaction, outbox, request, now, org, userId, mapped, connection.Id, cancellationToken);
            }
        }

        await outbox.EnqueueAsync(request.Audit(now, userId, AuditActions.SsoSignedIn, "success", userId, org,
            new Dictionary<string, string> { ["connection_id"] = connection.Id }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var user = await users.FindAsync(userId, cancellationToken) ?? throw new InvalidOperationException("The user just written is gone.");
        return (user, provisioned);
    }

    /// <summary>Audits a refused sign-in (anonymous actor: nobody is signed in yet) and returns it.</summary>
    public async Task<SsoResult> RefuseAsync(RequestInfo request, SsoResult result, CancellationToken cancellationToken, string? connectionId = null)
    {
        var details = new Dictionary<string, string> { ["reason"] = result.Reason! };
        if (connectionId is not null) details["connection_id"] = connectionId;
        await using var db = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.BeginTransactionAsync(cancellationToken);
        await outbox.EnqueueAsync(request.Audit(clock.GetUtcNow(), "anonymous", AuditActions.SsoRefused, "failure", connectionId, result.OrganizationId, details), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRefused(logger, result.Reason!, connectionId);
        return result;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "SSO sign-in of {UserId} through connection {ConnectionId}")]
    private static partial void LogSignedIn(ILogger logger, string userId, string connectionId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "SSO sign-in refused: {Reason} (connection {ConnectionId})")]
    private static partial void LogRefused(ILogger logger, string reason, string? connectionId);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "SSO code exchange failed at the IdP of connection {ConnectionId} (HTTP {Status})")]
    private static partial void LogExchangeFailed(ILogger logger, string connectionId, int status);
}
