using Platform.Hosting.Testing;

namespace Platform.IntegrationTests;

/// <summary>The whole app model, started once for every test of the assembly (<see cref="SharedPlatform"/>).</summary>
public sealed class PlatformFixture : IAsyncLifetime
{
    public TestingApplication App { get; private set; } = null!;

    /// <summary>The customer's API behind the gateway, with routes that need API-key scopes.</summary>
    public ProductUpstream Product { get; private set; } = null!;

    /// <summary>Where the identity service delivers its mail (one .eml file per mail).</summary>
    public string MailFolder { get; } = Directory.CreateTempSubdirectory("platform-mail-").FullName;

    /// <summary>The gateway's public address (a load balancer before its replicas), the one identity issues tokens for and makes links to.</summary>
    public Uri Gateway { get; private set; } = null!;

    private LoadBalancer? loadBalancer;

    /// <summary>
    /// The newest mail to <paramref name="address"/> whose text contains <paramref name="subject"/>, waiting up to 15 s;
    /// mails in <paramref name="seen"/> (files of <see cref="MailFolder"/> listed before) do not count.
    /// </summary>
    public async Task<string> MailToAsync(string address, string subject, IReadOnlySet<string>? seen = null)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (elapsed.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (var file in Directory.GetFiles(MailFolder, "*.eml").Where(f => seen is null || !seen.Contains(f)).OrderByDescending(f => f, StringComparer.Ordinal))
            {
                var text = await File.ReadAllTextAsync(file);
                if (text.Contains($"To: {address}\r\n", StringComparison.Ordinal) && text.Contains(subject, StringComparison.Ordinal)) return text;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"No mail '{subject}' to {address} within 15 s.");
        return "";
    }

    public async Task InitializeAsync()
    {
        Product = await ProductUpstream.StartAsync();
        // The platform at the address identity issues for: the console's own calls and a browser follow its links.
        var publicPort = Platform.AppHost.Servers.Ports.Free();
        App = await TestingApplication.CreateAsync($"--Platform:GatewayPort={publicPort}");
        // Two gateway replicas, as in production, so that cache invalidation is tested across them.
        App.WithReplicas("gateway", 2);
        foreach (var (name, value) in ProductRoutes(Product.Address)) App.WithEnvironment("gateway", name, value);
        App.WithEnvironment("gateway", "Gateway__Keys__UsageFlushInterval", "00:00:01");
        // More than the 2 running, so that a replica limiting alone (limit / 4) can never pass for the shared limit.
        App.WithEnvironment("gateway", "Gateway__RateLimits__Replicas", "4");
        // Identity's mail (verification codes) lands here for the tests to read, as a user reads their inbox.
        App.WithEnvironment("identity", "Identity__Mail__Folder", MailFolder);
        // The test machine is small and busy: a slow Redis answer must not look like an outage here.
        App.WithEnvironment("gateway", "Gateway__RateLimits__RedisTimeout", "00:00:02");
        // Requests without credentials (sign-up, sign-in, pages) are limited per address; the tests make many of them
        // from one address. EdgeTests in Gateway.Tests cover the anonymous limit itself.
        App.WithEnvironment("gateway", "Gateway__RateLimits__Anonymous__Requests", "1000000");
        // Likewise, the tests send many refused credentials on purpose, all from loopback.
        App.WithEnvironment("gateway", "Gateway__RateLimits__AuthenticationFailures__Requests", "1000000");
        // Identity's own limit on sign-ups, sign-ins and resets per address (30 a minute; Identity.Tests cover it): every
        // person these tests create comes from loopback, and SSO, SCIM, residency and console journeys create many.
        App.WithEnvironment("identity", "Identity__Lockout__AttemptsPerIpPerMinute", "100000");
        // Retention purges detection results only here (other tests keep their images and heatmaps), looks every
        // second, and discards zero-retention items 5 s after they are stored instead of minutes.
        App.WithEnvironment("retention", "Retention__Purge__Interval", "00:00:01");
        // Audit logs signed every 2 s: platformctl's bundle of a new organization needs its first checkpoint.
        App.WithEnvironment("audit", "Audit__Checkpoints__Interval", "00:00:02");
        App.WithEnvironment("retention", "Retention__Purge__ZeroRetentionGrace", "00:00:05");
        App.WithEnvironment("retention", "Retention__Purge__Classes__0", "detection_result");
        // Account closure: 20 s of grace instead of 30 days, looked for every second; a silent service is asked again after 10 s.
        App.WithEnvironment("retention", "Retention__Closure__GracePeriod", "00:00:20");
        App.WithEnvironment("retention", "Retention__Closure__Interval", "00:00:01");
        App.WithEnvironment("retention", "Retention__Closure__RetryDelay", "00:00:10");
        // Console sessions refresh their token about 20 s after each grant (the console's tokens live 5 min 20 s and are
        // refreshed within 5 min of their end): every console journey here crosses refreshes, and
        // TokenRefreshThroughConsoleTests sees one happen. Other clients' tokens keep identity's default lifetime.
        App.WithEnvironment("identity", "Identity__FirstPartyClients__0__AccessTokenLifetime", "00:05:20");
        App.WithEnvironment("console", "Console__RefreshMargin", "00:05:00");
        await App.StartAsync();
        loadBalancer = new LoadBalancer(publicPort, RunningGatewayReplicas);
        Gateway = new Uri($"https://localhost:{publicPort}/");
    }

    private IReadOnlyList<Uri> RunningGatewayReplicas()
    {
        var replicas = new List<Uri>();
        for (var replica = 0; ; replica++)
        {
            try
            {
                replicas.Add(App.GetEndpoint("gateway", replica: replica));
            }
            catch (ArgumentOutOfRangeException)
            {
                return replicas;
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (loadBalancer is not null) await loadBalancer.DisposeAsync();
        if (App is not null) await App.DisposeAsync();
        if (Product is not null) await Product.DisposeAsync();
        Directory.Delete(MailFolder, recursive: true);
    }

    private static IEnumerable<(string, string)> ProductRoutes(Uri upstream)
    {
        yield return ("ReverseProxy__Clusters__product__Destinations__primary__Address", upstream.ToString());
        // Open to signed-in users of any role.
        yield return ("ReverseProxy__Routes__projects__ClusterId", "product");
        yield return ("ReverseProxy__Routes__projects__Match__Path", "/v1/projects/{**rest}");
        foreach (var (route, method, levels) in new[] { ("datasets-read", "GET", "full,read_only"), ("datasets-write", "POST", "full") })
        {
            yield return ($"ReverseProxy__Routes__{route}__ClusterId", "product");
            yield return ($"ReverseProxy__Routes__{route}__Match__Path", "/v1/datasets/{**rest}");
            yield return ($"ReverseProxy__Routes__{route}__Match__Methods__0", method);
            yield return ($"ReverseProxy__Routes__{route}__Metadata__Permission", "dataset");
            yield return ($"ReverseProxy__Routes__{route}__Metadata__Levels", levels);
            yield return ($"ReverseProxy__Routes__{route}__Metadata__Environment", "live");
        }
    }
}
