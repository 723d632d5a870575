using Npgsql;
using Platform.ServiceDefaults.Clients;

namespace Platform.ServiceDefaults.Postgres;

/// <summary>
/// Settings for a PostgreSQL data source, read from <c>Aspire:Npgsql</c>, <c>Aspire:Npgsql:&lt;name&gt;</c> and
/// <c>ConnectionStrings:&lt;name&gt;</c> (the keys Aspire's Npgsql integration uses).
/// </summary>
public sealed class NpgsqlSettings : IConnectionStringSettings
{
    internal const string SectionName = "Aspire:Npgsql";

    // NpgsqlDataSourceBuilder parses the string with this same builder.
    internal static ConnectionStringFormat Format { get; } = new(
        "a PostgreSQL connection string (Host=…;Port=…;Username=…;Password=…;Database=…)",
        connectionString => _ = new NpgsqlConnectionStringBuilder(connectionString));

    /// <summary>An Npgsql connection string: <c>Host=…;Port=…;Username=…;Password=…;Database=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long the health check waits for <c>SELECT 1</c>.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
