using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.AppHost.Supervision;

public static class SupervisionExtensions
{
    /// <summary>
    /// Refuses to start when a fixed port is taken, then watches the app once it runs: says when everything is ready (and where the gateway is), stops the AppHost with
    /// the cause when a server cannot start, and restarts a server that dies later, with backoff.
    /// </summary>
    public static IDistributedApplicationBuilder AddSupervision(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode)
        {
            builder.Eventing.Subscribe<BeforeStartEvent>(FixedPortCheck.CheckAsync);
            builder.Services.AddSingleton(TimeProvider.System);
            builder.Services.AddHostedService<ReadyBanner>();
            builder.Services.AddHostedService<ResourceSupervisor>();
            if (builder.Configuration.GetValue<bool>(ResourceLogEcho.ConfigurationKey)) builder.Services.AddHostedService<ResourceLogEcho>();
        }

        return builder;
    }
}
