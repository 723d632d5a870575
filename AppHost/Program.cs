using Platform.AppHost;
using Platform.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgres("postgres");
postgres.AddDatabase("identitydb");
postgres.AddDatabase("keysdb");
postgres.AddDatabase("storagedb");
postgres.AddDatabase("retentiondb");
postgres.AddDatabase("auditdb");
postgres.AddDatabase("residencydb");

var redis = builder.AddRedis("redis");
var messaging = builder.AddRabbitMQ("messaging");

builder.AddProject("gateway", "../gateway/Gateway.csproj")
    .WithHttpsEndpoint(port: 8443, targetPort: 8443, name: "https", env: "Gateway__HttpsPort")
    .WithHttpEndpoint(targetPort: 8081, name: "internal", env: "Gateway__InternalPort")
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: "internal")
    .WithLocalDevelopmentCertificate()
    .WithReference(redis).WaitFor(redis)
    .WithReference(messaging).WaitFor(messaging)
    .WithReplicas(1);

builder.Build().Run();
