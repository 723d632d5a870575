namespace Platform.ServiceDefaults.Postgres.Migrations;

/// <summary>For applying SQL-only schemas outside a host (tests, benches): there is nothing to resolve.</summary>
public sealed class EmptyServices : IServiceProvider
{
    public static readonly EmptyServices Instance = new();

    public object? GetService(Type serviceType) => null;
}
