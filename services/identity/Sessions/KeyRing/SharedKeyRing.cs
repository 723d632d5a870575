using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Identity.Mfa;

namespace Platform.Identity.Sessions.KeyRing;

/// <summary>One Data Protection key ring for every replica of identity: in identitydb, encrypted, one application name.</summary>
internal static class SharedKeyRing
{
    public const string ApplicationName = "platform-identity";

    public static void AddSharedKeyRing(this IServiceCollection services)
    {
        // The application name, not the content root, isolates the keys: replicas installed in different folders share them.
        services.AddDataProtection().SetApplicationName(ApplicationName);
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureNamedOptions<KeyManagementOptions>(Options.DefaultName, options =>
        {
            var protector = provider.GetRequiredService<DataProtector>();
            options.XmlRepository = new DatabaseXmlRepository(provider.GetRequiredService<NpgsqlDataSource>(), protector, provider.GetRequiredService<TimeProvider>());
            options.XmlEncryptor = new DataKeyXmlEncryptor(protector);
        }));
    }
}
