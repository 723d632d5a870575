using Microsoft.Extensions.Options;

namespace Platform.Gateway.RateLimiting;

internal static class RateLimitExtensions
{
    public static IHostApplicationBuilder AddGatewayRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>()
            .BindConfiguration(RateLimitOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidator>();
        builder.Services.AddSingleton<EdgeRedis>();
        builder.Services.AddSingleton<RateLimiter>();
        return builder;
    }
}

/// <summary>Every problem in <c>Gateway:RateLimits</c> at once.</summary>
internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var errors = new List<string>();
        const string section = RateLimitOptions.SectionName;
        if (!options.Plans.ContainsKey(options.DefaultPlan)) errors.Add($"{section}:DefaultPlan '{options.DefaultPlan}' is not one of {section}:Plans.");
        foreach (var (plan, limits) in options.Plans)
        {
            if (!limits.Key.IsValid) errors.Add($"{section}:Plans:{plan}:Key needs Requests (1 to 10,000,000, at most a million a second) and WindowSeconds (1 to 86,400).");
            if (!limits.Organization.IsValid) errors.Add($"{section}:Plans:{plan}:Organization needs Requests (1 to 10,000,000, at most a million a second) and WindowSeconds (1 to 86,400).");
        }

        foreach (var (organization, plan) in options.OrganizationPlans.Where(p => !options.Plans.ContainsKey(p.Value)))
        {
            errors.Add($"{section}:OrganizationPlans:{organization} names the unknown plan '{plan}'.");
        }

        if (!options.AuthenticationFailures.IsValid) errors.Add($"{section}:AuthenticationFailures needs Requests (1 to 10,000,000, at most a million a second) and WindowSeconds (1 to 86,400).");
        if (!options.Anonymous.IsValid) errors.Add($"{section}:Anonymous needs Requests (1 to 10,000,000, at most a million a second) and WindowSeconds (1 to 86,400).");
        if (options.RedisTimeout <= TimeSpan.Zero || options.RedisTimeout > TimeSpan.FromSeconds(5)) errors.Add($"{section}:RedisTimeout must be between 0 and 5 seconds.");
        if (options.RedisRetryInterval < TimeSpan.FromMilliseconds(100) || options.RedisRetryInterval > TimeSpan.FromMinutes(5)) errors.Add($"{section}:RedisRetryInterval must be between 100 ms and 5 minutes.");
        if (options.Replicas is < 1 or > 1000) errors.Add($"{section}:Replicas must be between 1 and 1,000.");
        if (string.IsNullOrWhiteSpace(options.KeyPrefix)) errors.Add($"{section}:KeyPrefix is required.");
        if (options.Leases.Size is < 2 or > 100_000) errors.Add($"{section}:Leases:Size must be between 2 and 100,000.");
        if (options.Leases.Lifetime < TimeSpan.FromMilliseconds(10) || options.Leases.Lifetime > TimeSpan.FromSeconds(10)) errors.Add($"{section}:Leases:Lifetime must be between 10 ms and 10 seconds.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
