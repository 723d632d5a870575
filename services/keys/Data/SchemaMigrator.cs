using Npgsql;
using Platform.Messaging;

namespace Platform.Keys.Data;

/// <summary>
/// Applies the schema at start-up when <c>Migrations:ApplyOnStartup</c> is true (development, tests); a
/// production deployment runs them as a deliberate step instead. Registered before the outbox relay, so it never
/// sees a missing table.
/// </summary>
internal sealed class SchemaMigrator(NpgsqlDataSource dataSource, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Migrations:ApplyOnStartup")) return;
        await KeysSchema.ApplyAsync(dataSource, cancellationToken);
        await MessagingSchema.ApplyAsync(dataSource, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
