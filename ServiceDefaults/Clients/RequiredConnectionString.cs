namespace Platform.ServiceDefaults.Clients;

/// <summary>A connection string some client registration cannot work without.</summary>
internal sealed record RequiredConnectionString(string ConnectionName, Func<IServiceProvider, string?> Resolve);
