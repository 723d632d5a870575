using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Platform.AppHost.Servers;

namespace Platform.Hosting.Testing.SharedServers;

/// <summary>
/// The process that holds a test run's shared servers: it starts PostgreSQL, Redis and RabbitMQ through the AppHost's
/// app model (as <see cref="TestingApplication"/> does for any fixture), publishes their connection strings, and
/// stops them once no test process has used them for <see cref="Grace"/> — the gap between one test project and
/// the next — or after <see cref="Limit"/> whatever happens, so that it always ends by itself.
/// </summary>
internal static class SharedServerHost
{
    public const string Command = "serve-shared-servers";

    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(80);

    public static async Task<int> RunAsync(string path)
    {
        TestServers.InSharedHost = true;
        var folder = new SharedServerFolder(path);
        using (await folder.LockAsync())
        {
            if (folder.LiveHost() is > 0)
            {
                Console.Error.WriteLine("Another host already runs this folder's servers.");
                return 1;
            }

            folder.WriteHostPid();
        }

        TestingApplication servers;
        try
        {
            servers = await TestingApplication.CreateAsync();
            servers.KeepOnly("postgres", "redis", "messaging");
            await servers.StartAsync();
        }
        catch (Exception e)
        {
            using (await folder.LockAsync())
            {
                File.WriteAllText(folder.FailurePath, e.ToString());
                folder.RemoveHost();
            }

            Console.Error.WriteLine(e);
            return 1;
        }

        await using (servers)
        {
            var rabbit = servers.Application.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<LocalRabbitMQServerResource>().Single();
            using (await folder.LockAsync())
            {
                new SharedServerSet(Environment.ProcessId, servers.GetConnectionString("postgres"), servers.GetConnectionString("redis"),
                    servers.GetConnectionString("messaging"), rabbit.Home, rabbit.EpmdPort, rabbit.Directory).Write(folder.ServersPath);
            }

            Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} servers ready in {servers.StateDirectory}");
            await WaitUntilUnusedAsync(folder);
            Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss} no test process left: stopping the servers");
        }

        return 0;
    }

    private static async Task WaitUntilUnusedAsync(SharedServerFolder folder)
    {
        var running = System.Diagnostics.Stopwatch.StartNew();
        var idle = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            using (await folder.LockAsync())
            {
                if (folder.CountLiveClients() > 0) idle.Restart();
                if (idle.Elapsed < Grace && running.Elapsed < Limit) continue;

                // Gone from the folder before the servers stop: a test process arriving now starts a new host.
                folder.RemoveHost();
                return;
            }
        }
    }
}
