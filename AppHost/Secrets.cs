namespace Platform.AppHost;

internal static class Secrets
{
    /// <summary>
    /// A secret parameter generated once (letters and digits only: safe in connection strings, URIs, headers and as
    /// base64) and kept in the AppHost's user secrets; a deployment supplies its own.
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddGeneratedSecret(this IDistributedApplicationBuilder builder, string name, int length) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = length, Special = false }, secret: true, persist: true);
}
