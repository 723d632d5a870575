using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Platform.SecurityConsole.Auth;

internal sealed record TokenSet(string AccessToken, string RefreshToken, DateTimeOffset ExpiresAt);

/// <summary>
/// Keeps the session's access token fresh: before a page uses a token that expires within
/// <see cref="ConsoleOptions.RefreshMargin"/>, the refresh token is redeemed at identity's token endpoint (through the
/// gateway) and the new pair replaces the old in the server-side session. Identity's refresh tokens are single-use
/// (a reused one revokes the whole family), so concurrent requests of one session share one redemption. A refused
/// refresh (revoked, password reset, membership gone) ends the console session: the user signs in again.
/// </summary>
internal sealed partial class TokenRefresher(IHttpClientFactory clients, IOptions<ConsoleOptions> options, TimeProvider clock, ILogger<TokenRefresher> logger)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<TokenSet?>>> inFlight = new(StringComparer.Ordinal);

    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var expiresAt = context.Properties.GetTokenValue("expires_at");
        var refreshToken = context.Properties.GetTokenValue("refresh_token");
        if (expiresAt is null || refreshToken is null)
        {
            context.RejectPrincipal();
            return;
        }

        var now = clock.GetUtcNow();
        if (DateTimeOffset.Parse(expiresAt, CultureInfo.InvariantCulture) - now > options.Value.RefreshMargin) return;

        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(refreshToken)));
        var redemption = inFlight.GetOrAdd(key, _ => new Lazy<Task<TokenSet?>>(() => RedeemAsync(refreshToken)));
        TokenSet? tokens;
        try
        {
            tokens = await redemption.Value;
        }
        finally
        {
            _ = ForgetLaterAsync(key);
        }

        if (tokens is null)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return;
        }

        context.Properties.UpdateTokenValue("access_token", tokens.AccessToken);
        context.Properties.UpdateTokenValue("refresh_token", tokens.RefreshToken);
        context.Properties.UpdateTokenValue("expires_at", tokens.ExpiresAt.ToString("o", CultureInfo.InvariantCulture));
        context.ShouldRenew = true;
    }

    private async Task ForgetLaterAsync(string key)
    {
        await Task.Delay(TimeSpan.FromSeconds(30), clock);
        inFlight.TryRemove(key, out _);
    }

    private async Task<TokenSet?> RedeemAsync(string refreshToken)
    {
        var settings = options.Value;
        using var response = await clients.CreateClient(PlatformHttp.Name).PostAsync("connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = settings.ClientId,
            ["client_secret"] = settings.ClientSecret,
        }));
        if (!response.IsSuccessStatusCode)
        {
            LogRefreshRefused(logger, (int)response.StatusCode);
            return null;
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        return new TokenSet(
            root.GetProperty("access_token").GetString()!,
            root.TryGetProperty("refresh_token", out var rotated) ? rotated.GetString()! : refreshToken,
            clock.GetUtcNow().AddSeconds(root.GetProperty("expires_in").GetInt32()));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Identity refused the session's refresh token ({Status}); the console session ends.")]
    private static partial void LogRefreshRefused(ILogger logger, int status);
}
