namespace Platform.Hosting;

public sealed class RedisResource : ContainerResource, IResourceWithConnectionString
{
    public RedisResource(string name, ParameterResource password) : base(name)
    {
        Password = password;
        Endpoints.Add(new EndpointAnnotation(this, "tcp", "tcp", "tcp") { TargetPort = 6379 });
    }

    public ParameterResource Password { get; }

    public EndpointAnnotation PrimaryEndpoint => GetEndpoint("tcp");

    public override string Image => "docker.io/library/redis:7.4";

    public override string Entrypoint => "/bin/sh";

    public override IReadOnlyList<string> Args => ["-c", "redis-server --requirepass $REDIS_PASSWORD"];

    public override IReadOnlyList<KeyValuePair<string, IValueReference>> ContainerEnvironment => [new("REDIS_PASSWORD", Password)];

    public override IReadOnlyList<RequiredPackage> Packages => [new("redis-server", "redis-server")];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)},password={Password}");
}
