namespace Platform.Hosting;

public sealed class RabbitMQServerResource : ContainerResource, IResourceWithConnectionString
{
    public const string UserName = "guest";

    public RabbitMQServerResource(string name, ParameterResource password) : base(name)
    {
        Password = password;
        Endpoints.Add(new EndpointAnnotation(this, "tcp", "tcp", "tcp") { TargetPort = 5672 });
    }

    public ParameterResource Password { get; }

    public EndpointAnnotation PrimaryEndpoint => GetEndpoint("tcp");

    public override string Image => "docker.io/library/rabbitmq:4.0";

    public override IReadOnlyList<KeyValuePair<string, IValueReference>> ContainerEnvironment =>
    [
        new("RABBITMQ_DEFAULT_USER", ReferenceExpression.Literal(UserName)),
        new("RABBITMQ_DEFAULT_PASS", Password),
    ];

    public override IReadOnlyList<RequiredPackage> Packages => [new("rabbitmq-server", "rabbitmq-server", "epmd")];

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName}:{Password}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}
