using System.Diagnostics;
using Platform.Hosting.Testing;

namespace Platform.Console.Tests;

/// <summary>The whole platform, the console among it, started once for every console test.</summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public TestingApplication App { get; private set; } = null!;

    /// <summary>Where the identity service delivers its mail (one .eml file per mail).</summary>
    public string MailFolder { get; } = Directory.CreateTempSubdirectory("console-mail-").FullName;

    public Uri Gateway => App.GetEndpoint("gateway");

    public async Task<string> MailToAsync(string address, string subject)
    {
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (var file in Directory.GetFiles(MailFolder, "*.eml").OrderByDescending(f => f, StringComparer.Ordinal))
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
        // The platform at the address identity issues for: the console's own calls and the browser follow its links.
        App = await TestingApplication.CreateAsync($"--Platform:GatewayPort={Platform.AppHost.Servers.Ports.Free()}");
        App.WithEnvironment("identity", "Identity__Mail__Folder", MailFolder);
        // Sign-ups, sign-ins and pages come from one address in these tests.
        App.WithEnvironment("gateway", "Gateway__RateLimits__Anonymous__Requests", "1000000");
        App.WithEnvironment("gateway", "Gateway__RateLimits__AuthenticationFailures__Requests", "1000000");
        App.WithEnvironment("gateway", "Gateway__RateLimits__RedisTimeout", "00:00:02");
        App.WithEnvironment("gateway", "Gateway__Keys__UsageFlushInterval", "00:00:01");
        await App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        Directory.Delete(MailFolder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
