using Microsoft.Extensions.Configuration;

namespace Platform.ServiceDefaults.Clients;

/// <summary>A connection string some client registration cannot work without, and the form it must have.</summary>
internal sealed record RequiredConnectionString(string ConnectionName, ConnectionStringFormat Format)
{
    /// <summary>Where the Aspire integration finds it: <c>ConnectionStrings</c>, then its named and shared sections.</summary>
    public string? Resolve(IConfiguration configuration) =>
        configuration.GetConnectionString(ConnectionName)
        ?? configuration[$"{Format.SettingsSection}:{ConnectionName}:ConnectionString"]
        ?? configuration[$"{Format.SettingsSection}:ConnectionString"];
}
