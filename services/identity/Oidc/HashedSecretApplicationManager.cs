using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Platform.Identity.Oidc;

/// <summary>
/// Client secrets are 256-bit random values that identity generates itself, so a slow password KDF protects nothing
/// extra and would cap client-credentials throughput; they are stored as SHA-256 and compared in constant time
/// (the same reasoning as API keys, SPEC KEY-STORE).
/// </summary>
internal sealed class HashedSecretApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    private const string Prefix = "sha256:";

    protected override ValueTask<string> ObfuscateClientSecretAsync(string secret, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Prefix + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(secret))));

    protected override ValueTask<bool> ValidateClientSecretAsync(string secret, string comparand, CancellationToken cancellationToken = default)
    {
        if (!comparand.StartsWith(Prefix, StringComparison.Ordinal)) return ValueTask.FromResult(false);
        var expected = Convert.FromBase64String(comparand[Prefix.Length..]);
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        return ValueTask.FromResult(CryptographicOperations.FixedTimeEquals(actual, expected));
    }
}
