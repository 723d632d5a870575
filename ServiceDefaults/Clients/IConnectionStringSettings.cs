namespace Platform.ServiceDefaults.Clients;

/// <summary>What the shared registration code needs from every client's settings.</summary>
internal interface IConnectionStringSettings
{
    string? ConnectionString { get; set; }
}
