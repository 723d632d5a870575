using Npgsql;
using Platform.Messaging;

namespace Platform.Storage.Data;

/// <summary>
/// Applies the schema at start-up when <c>Migrations:ApplyOnStartup</c> is true (development, tests); a production
/// deployment runs it as a deliberate step instead. Registered before the outbox relay and the key maintenance.
/// </summary>
internal sealed class SchemaMigrator(NpgsqlDataSource dataSource, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Migrations:ApplyOnStartup")) return;
        await StorageSchema.ApplyAsync(dataSource, cancellationToken);
        await MessagingSchema.ApplyAsync(dataSource, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
