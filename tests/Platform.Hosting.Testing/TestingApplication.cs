using System.Security.Cryptography.X509Certificates;

namespace Platform.Hosting.Testing;

/// <summary>The app model running for a test: endpoints, connection strings and clients by resource name.</summary>
public sealed class TestingApplication(DistributedApplication app, string stateDirectory, TestLog log) : IAsyncDisposable
{
    public DistributedApplication Application { get; } = app;

    public string StateDirectory { get; } = stateDirectory;

    public TestLog Log { get; } = log;

    /// <summary>Runs only these resources and what they depend on.</summary>
    public TestingApplication KeepOnly(params string[] names)
    {
        Application.KeepOnly(names);
        return this;
    }

    /// <summary>Adds an environment variable to a project before it starts (extra routes, settings under test).</summary>
    public TestingApplication WithEnvironment(string project, string name, string value)
    {
        Project(project).Environment.Add(new(name, ReferenceExpression.Literal(value)));
        return this;
    }

    /// <summary>Runs a project with this many replicas (before it starts).</summary>
    public TestingApplication WithReplicas(string project, int replicas)
    {
        Project(project).Replicas = replicas;
        return this;
    }

    private ProjectResource Project(string name) =>
        Application.Resources.OfType<ProjectResource>().FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException($"No project named '{name}' in this app.", nameof(name));

    public async Task<TestingApplication> StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await Application.StartAsync(cancellationToken);
        }
        catch (DistributedApplicationException e)
        {
            throw new DistributedApplicationException($"{e.Message}{Environment.NewLine}(all resource output: {Log.Path})", e);
        }

        return this;
    }

    public Uri GetEndpoint(string resource, string endpoint = "https", int replica = 0) => Application.GetEndpoint(resource, endpoint, replica);

    public string GetConnectionString(string resource) => Application.GetConnectionString(resource);

    /// <summary>
    /// A client for a resource's endpoint that trusts exactly that resource's development certificate (pinned,
    /// not "accept anything"), the way a developer's machine would after trusting it.
    /// </summary>
    public HttpClient CreateHttpClient(string resource, string endpoint = "https", int replica = 0, HttpMessageHandler? handler = null)
    {
        handler ??= CreateHandler(resource);
        return new HttpClient(handler) { BaseAddress = GetEndpoint(resource, endpoint, replica), Timeout = TimeSpan.FromSeconds(30) };
    }

    public SocketsHttpHandler CreateHandler(string resource)
    {
        var certificate = DevelopmentCertificate(resource);
        return new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                    errors == System.Net.Security.SslPolicyErrors.None
                    || (certificate is not null && presented is not null && presented.GetCertHashString() == certificate.GetCertHashString()),
            },
        };
    }

    public X509Certificate2? DevelopmentCertificate(string resource)
    {
        var path = Path.Combine(StateDirectory, resource, "development-certificate.pfx");
        return File.Exists(path) ? X509CertificateLoader.LoadPkcs12FromFile(path, password: null) : null;
    }

    public ValueTask DisposeAsync() => Application.DisposeAsync();
}
