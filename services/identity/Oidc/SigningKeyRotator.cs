using Microsoft.Extensions.Options;
using OpenIddict.Server;

namespace Platform.Identity.Oidc;

/// <summary>Checks the key ring hourly (and at start-up): rotates when the current key reaches its age, and picks up keys other replicas made.</summary>
internal sealed partial class SigningKeyRotator(SigningKeyRing ring, IOptionsMonitor<OpenIddictServerOptions> server, TimeProvider clock, ILogger<SigningKeyRotator> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromHours(1), clock, stoppingToken);
                await RotateAsync(force: false, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Npgsql.NpgsqlException exception)
            {
                LogCheckFailed(logger, exception.GetType().Name);
            }
        }
    }

    public async Task RotateAsync(bool force, CancellationToken cancellationToken)
    {
        await ring.RefreshAsync(force, cancellationToken);
        ring.Apply(server.CurrentValue);
    }

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Signing key check failed: {ExceptionType}")]
    private static partial void LogCheckFailed(ILogger logger, string exceptionType);
}
