using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Storage.Apis;

/// <summary>
/// The services allowed to call the transit and key APIs (<c>Storage:ServiceTokens</c>), each limited to its
/// organizations. Tokens are compared as SHA-256 hashes in constant time, against every entry without an early exit.
/// </summary>
internal sealed class ServiceCallers(IOptions<StorageOptions> options)
{
    private const int MaxHeaderLength = 1024;
    private readonly List<ServiceCaller> callers = options.Value.ServiceTokens;
    private readonly byte[][] hashes = options.Value.ServiceTokens.Select(c => SHA256.HashData(Encoding.UTF8.GetBytes(c.Token))).ToArray();

    public ServiceCaller? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { Length: <= MaxHeaderLength } value
            || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(value["Bearer ".Length..].Trim()));
        var match = -1;
        for (var index = 0; index < hashes.Length; index++)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hashes[index])) match = index;
        }

        return match >= 0 ? callers[match] : null;
    }
}
