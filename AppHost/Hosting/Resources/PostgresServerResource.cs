namespace Platform.Hosting;

public sealed class PostgresServerResource : ContainerResource, IResourceWithConnectionString
{
    public const string UserName = "postgres";

    public PostgresServerResource(string name, ParameterResource password) : base(name)
    {
        Password = password;
        Endpoints.Add(new EndpointAnnotation(this, "tcp", "tcp", "tcp") { TargetPort = 5432 });
    }

    public ParameterResource Password { get; }

    public List<PostgresDatabaseResource> Databases { get; } = [];

    public EndpointAnnotation PrimaryEndpoint => GetEndpoint("tcp");

    public override string Image => "docker.io/library/postgres:17.4";

    public override IReadOnlyList<KeyValuePair<string, IValueReference>> ContainerEnvironment =>
    [
        new("POSTGRES_HOST_AUTH_METHOD", ReferenceExpression.Literal("scram-sha-256")),
        new("POSTGRES_INITDB_ARGS", ReferenceExpression.Literal("--auth-host=scram-sha-256 --auth-local=scram-sha-256")),
        new("POSTGRES_USER", ReferenceExpression.Literal(UserName)),
        new("POSTGRES_PASSWORD", Password),
    ];

    public override IReadOnlyList<RequiredPackage> Packages => [new("postgresql", "initdb", "postgres")];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={PrimaryEndpoint.Property(EndpointProperty.Host)};Port={PrimaryEndpoint.Property(EndpointProperty.Port)};Username={UserName};Password={Password}");
}

public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource parent)
    : Resource(name), IResourceWithConnectionString, IResourceWithParent
{
    public string DatabaseName { get; } = databaseName;

    public PostgresServerResource Server { get; } = parent;

    public Resource Parent => Server;

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{new ConnectionStringReference(Server)};Database={DatabaseName}");
}

/// <summary><c>{name.connectionString}</c>: another resource's whole connection string.</summary>
public sealed class ConnectionStringReference(IResourceWithConnectionString resource) : IValueReference
{
    public string ValueExpression => $"{{{resource.Name}.connectionString}}";

    public string GetValue() => resource.ConnectionStringExpression.GetValue();
}
