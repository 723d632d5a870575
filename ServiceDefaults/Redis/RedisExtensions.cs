using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Clients;
using Platform.ServiceDefaults.Redis;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Redis client registration, shaped like Aspire's <c>Aspire.StackExchange.Redis</c> integration.</summary>
/// <remarks>
/// Aspire also traces Redis commands through OpenTelemetry.Instrumentation.StackExchangeRedis; that package is
/// not available to this repository, so Redis calls show up only as gaps inside their parent spans.
/// </remarks>
public static class RedisExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="IConnectionMultiplexer"/> built from
    /// <c>ConnectionStrings:&lt;connectionName&gt;</c> (<c>host:port,password=…</c>) and a health check named
    /// <paramref name="connectionName"/>.
    /// </summary>
    /// <remarks>
    /// While Redis is down, the first resolution of the multiplexer waits out StackExchange.Redis's connect
    /// attempts (ConnectTimeout times ConnectRetry, about 15 s by default) and then returns a multiplexer that keeps
    /// reconnecting in the background; commands fail fast with <see cref="RedisConnectionException"/> meanwhile.
    /// The health check's first run starts that connection early, without waiting past its timeout.
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// At start-up, or when the multiplexer is first built, naming every missing or malformed connection string.
    /// </exception>
    public static void AddRedisClient(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<StackExchangeRedisSettings>? configureSettings = null,
        Action<ConfigurationOptions>? configureOptions = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ClientSettings.Add(builder.Services, StackExchangeRedisSettings.SectionName, connectionName, StackExchangeRedisSettings.Format, configureSettings);

        builder.Services.AddSingleton(provider => new RedisConnectionSource(() =>
        {
            var (_, connectionString) = ClientSettings.GetChecked<StackExchangeRedisSettings>(provider, connectionName);
            var options = ConfigurationOptions.Parse(connectionString);
            // Redis may come up after the service (or restart under it): keep retrying in the background and
            // let the health check report the outage instead of failing the whole process.
            options.AbortOnConnectFail = false;
            options.LoggerFactory ??= provider.GetService<ILoggerFactory>();
            configureOptions?.Invoke(options);
            return ConnectionMultiplexer.Connect(options);
        }));

        // Blocks once on the shared attempt, for constructors that cannot await; the attempt runs on the thread
        // pool and ASP.NET Core has no synchronization context to deadlock on.
        builder.Services.AddSingleton(provider =>
            provider.GetRequiredService<RedisConnectionSource>().GetAsync().GetAwaiter().GetResult());

        builder.Services.AddHealthChecks().Add(ClientSettings.HealthCheck(
            connectionName,
            provider => new RedisHealthCheck(
                provider.GetRequiredService<RedisConnectionSource>(),
                ClientSettings.Get<StackExchangeRedisSettings>(provider, connectionName))));
    }
}
