using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

/// <summary>Small hosts built the way a Platform service builds itself: configuration, <c>AddServiceDefaults()</c>, clients.</summary>
public static class TestHosts
{
    /// <summary>
    /// A generic host that reads only <paramref name="connectionStrings"/> (no environment variables or files, so a
    /// <c>ConnectionStrings__…</c> variable on the test machine cannot hide a missing one).
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(IReadOnlyDictionary<string, string> connectionStrings, CapturedLogs? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "servicedefaults-tests",
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(ToSettings(connectionStrings));
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.AddServiceDefaults();
        return builder;
    }

    /// <summary>A Kestrel application listening on a free loopback port, with nothing but the given configuration.</summary>
    public static WebApplicationBuilder CreateWebBuilder(IReadOnlyDictionary<string, string> connectionStrings)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = "servicedefaults-tests",
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(ToSettings(connectionStrings));
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRouting();
        builder.AddServiceDefaults();
        return builder;
    }

    /// <summary>The address Kestrel bound, once the application has started.</summary>
    public static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());

    private static Dictionary<string, string?> ToSettings(IReadOnlyDictionary<string, string> connectionStrings) =>
        connectionStrings.ToDictionary(pair => $"ConnectionStrings:{pair.Key}", pair => (string?)pair.Value);
}
