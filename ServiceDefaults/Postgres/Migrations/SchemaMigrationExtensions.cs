using Microsoft.Extensions.DependencyInjection;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Microsoft.Extensions.Hosting;

public static class SchemaMigrationExtensions
{
    /// <summary>
    /// Brings the service's database (its <c>NpgsqlDataSource</c>) to <paramref name="schemas"/>, in this order, at
    /// start-up. Call it before registering anything that reads the tables at start-up: hosted services start in order.
    /// </summary>
    public static IHostApplicationBuilder AddSchemaMigrations(this IHostApplicationBuilder builder, params Schema[] schemas)
    {
        foreach (var schema in schemas) builder.Services.AddSingleton(schema);
        builder.Services.AddHostedService<SchemaMigrator>();
        return builder;
    }
}
