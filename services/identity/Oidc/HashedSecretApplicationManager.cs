using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Platform.Identity.Oidc;

/// <summary>
/// Client secrets are 256-bit random values that identity generates itself, so a slow password KDF protects nothing
/// extra and would cap client-credentials throughput; they are stored as SHA-256 and compared in constant time
/// (the same reasoning as API keys, SPEC KEY-STORE). After a rotation with an overlap, the replaced secret still
/// authenticates its client until the overlap ends (<see cref="ClientService.RotateSecretAsync"/>), then never again.
/// </summary>
internal sealed class HashedSecretApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store,
    NpgsqlDataSource dataSource,
    TimeProvider clock)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    private const string Prefix = "sha256:";

    public override async ValueTask<bool> ValidateClientSecretAsync(OpenIddictEntityFrameworkCoreApplication application, string secret, CancellationToken cancellationToken = default)
    {
        if (await base.ValidateClientSecretAsync(application, secret, cancellationToken)) return true;
        if (await GetClientIdAsync(application, cancellationToken) is not { } clientId) return false;
        await using var command = dataSource.CreateCommand("SELECT previous_secret FROM client_owners WHERE client_id = $1 AND previous_secret_until > $2");
        command.Parameters.AddWithValue(clientId);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        return await command.ExecuteScalarAsync(cancellationToken) is string previous && await ValidateClientSecretAsync(secret, previous, cancellationToken);
    }

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
