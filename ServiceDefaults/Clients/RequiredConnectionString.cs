namespace Platform.ServiceDefaults.Clients;

/// <summary>A connection string some client registration cannot work without, and the form it must have.</summary>
internal sealed record RequiredConnectionString(
    string ConnectionName,
    ConnectionStringFormat Format,
    Func<IServiceProvider, string?> Resolve);
