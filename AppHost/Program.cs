using Platform.AppHost;
using Platform.Hosting;

var builder = DistributedApplication.CreateBuilder(args);

var postgres = builder.AddPostgres("postgres");
postgres.AddDatabase("identitydb");
postgres.AddDatabase("keysdb");
postgres.AddDatabase("storagedb");
postgres.AddDatabase("retentiondb");
var auditDb = postgres.AddDatabase("auditdb");
postgres.AddDatabase("residencydb");

var redis = builder.AddRedis("redis");
var messaging = builder.AddRabbitMQ("messaging");

// Until identity exists, reading the audit log takes this operator credential (any organization).
var auditReaderToken = builder.AddParameter("audit-reader-token", secret: true, generateMinLength: 40);

var audit = builder.AddProject("audit", "../services/audit/Audit.csproj")
    .WithHttpEndpoint(targetPort: 8080, name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(auditDb).WaitFor(auditDb)
    .WithReference(messaging).WaitFor(messaging)
    .WithEnvironment("Audit__Readers__0__Name", "operator")
    .WithEnvironment("Audit__Readers__0__Token", auditReaderToken)
    .WithEnvironment("Audit__Readers__0__Organizations__0", "*");

builder.AddProject("gateway", "../gateway/Gateway.csproj")
    .WithHttpsEndpoint(port: 8443, targetPort: 8443, name: "https", env: "Gateway__HttpsPort")
    .WithHttpEndpoint(targetPort: 8081, name: "internal", env: "Gateway__InternalPort")
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: "internal")
    .WithLocalDevelopmentCertificate()
    .WithLocalAuditSpool()
    .WithReference(redis).WaitFor(redis)
    .WithReference(messaging).WaitFor(messaging)
    .WithReference(audit)
    .WithEnvironment("ReverseProxy__Clusters__audit__Destinations__primary__Address", audit.GetEndpoint("http"))
    .WithReplicas(1);

builder.Build().Run();
