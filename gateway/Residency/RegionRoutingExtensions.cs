using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Transforms;

namespace Platform.Gateway.Residency;

internal static class RegionRoutingExtensions
{
    public static IHostApplicationBuilder AddGatewayRegionRouting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ResidencyRoutingOptions>().BindConfiguration(ResidencyRoutingOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ResidencyRoutingOptions>, ResidencyRoutingOptionsValidator>();
        builder.Services.AddHttpClient(nameof(OrganizationResidencies));
        builder.Services.AddSingleton(provider => ActivatorUtilities.CreateInstance<OrganizationResidencies>(
            provider, provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(OrganizationResidencies))));
        builder.Services.AddSingleton<DatasetListings>();
        builder.Services.AddSingleton<RegionRouting>();
        builder.Services.AddHostedService<ResidencyInvalidationListener>();
        return builder;
    }

    /// <summary>Adds the single-region organization's region upstream; registered before the signer, so that it is signed.</summary>
    public static IReverseProxyBuilder AddRegionTransforms(this IReverseProxyBuilder proxy) =>
        proxy.AddTransforms(context =>
        {
            if (context.Cluster?.Metadata?.TryGetValue(RegionRouting.ClusterMetadata, out var on) != true || on != "true") return;
            context.AddRequestTransform(static transform =>
            {
                if (RegionRouting.PinnedRegion(transform.HttpContext) is { } region)
                    transform.ProxyRequest.Headers.TryAddWithoutValidation(RegionRouting.ResidencyHeader, region);
                return ValueTask.CompletedTask;
            });
        });

    /// <summary>YARP's proxy pipeline with region routing before its own default steps.</summary>
    public static void UseProxyPipelineWithRegions(this IReverseProxyApplicationBuilder proxy)
    {
        var routing = proxy.ApplicationServices.GetRequiredService<RegionRouting>();
        proxy.Use((context, next) => routing.InvokeAsync(context, next));
        proxy.UseSessionAffinity();
        proxy.UseLoadBalancing();
        proxy.UsePassiveHealthChecks();
    }
}
