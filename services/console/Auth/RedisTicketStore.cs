using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Platform.SecurityConsole.Auth;

/// <summary>
/// The server-side session (ASP.NET Core's cookie <see cref="ITicketStore"/>): the cookie carries only a random
/// session id; the ticket with the user's access and refresh tokens is sealed (<see cref="SessionSeal"/>) in Redis
/// under the id's SHA-256, expiring with the session. Signing out deletes it, so a copy of the cookie stops working.
/// </summary>
internal sealed class RedisTicketStore(IConnectionMultiplexer redis, SessionSeal seal, TimeProvider clock, IOptions<ConsoleOptions> options) : ITicketStore
{
    private const string Prefix = "console:session:";

    public async Task<string> StoreAsync(AuthenticationTicket ticket)
    {
        var id = Base64Url(RandomNumberGenerator.GetBytes(32));
        await RenewAsync(id, ticket);
        return id;
    }

    public async Task RenewAsync(string key, AuthenticationTicket ticket)
    {
        var bytes = TicketSerializer.Default.Serialize(ticket);
        var lifetime = ticket.Properties.ExpiresUtc is { } expires ? expires - clock.GetUtcNow() : options.Value.SessionIdleTimeout;
        if (lifetime <= TimeSpan.Zero) lifetime = TimeSpan.FromSeconds(1);
        await redis.GetDatabase().StringSetAsync(RedisKey(key), seal.Seal(bytes, key), lifetime);
    }

    public async Task<AuthenticationTicket?> RetrieveAsync(string key)
    {
        var value = await redis.GetDatabase().StringGetAsync(RedisKey(key));
        if (value.IsNullOrEmpty) return null;
        var opened = seal.Open((byte[])value!, key);
        return opened is null ? null : TicketSerializer.Default.Deserialize(opened);
    }

    public Task RemoveAsync(string key) => redis.GetDatabase().KeyDeleteAsync(RedisKey(key));

    private static RedisKey RedisKey(string id) => Prefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}

/// <summary>Gives the cookie scheme its session store from the container.</summary>
internal sealed class UseRedisTicketStore(RedisTicketStore store) : IPostConfigureOptions<CookieAuthenticationOptions>
{
    public void PostConfigure(string? name, CookieAuthenticationOptions options)
    {
        if (name == CookieAuthenticationDefaults.AuthenticationScheme) options.SessionStore = store;
    }
}
