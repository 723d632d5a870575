using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Platform.Messaging;

internal static class DataSourceRequirement
{
    /// <summary>The service's data source, or a start-up error that says what to add instead of a bare DI failure.</summary>
    public static NpgsqlDataSource Get(IServiceProvider services, string feature) =>
        services.GetService<NpgsqlDataSource>()
        ?? throw new InvalidOperationException(
            $"{feature} keeps its table in the service's database: register it with builder.AddNpgsqlDataSource(\"<connection name>\") first.");
}
