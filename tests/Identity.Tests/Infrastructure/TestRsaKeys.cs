using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// RSA-2048 keys for test IdPs and SPs, reused across the tests of one process: generating one costs about 0.2
/// CPU-seconds, and the SAML tests made over a hundred (a key per IdP, three per SP, in every test). A key pair is
/// handed out again only after the key made from it was given back, so no two keys in use are ever the same pair: keys
/// a test holds at once always differ, as freshly generated ones would. Not for keys used through
/// Microsoft.IdentityModel (<c>RsaSecurityKey</c>): its process-wide signature-provider cache is keyed by the key's
/// thumbprint, so a later holder of the same pair would sign with an earlier holder's disposed key
/// (<see cref="FakeIdentityProvider"/> makes its own).
/// </summary>
public static class TestRsaKeys
{
    private static readonly ConcurrentBag<RSAParameters> free = [];
    private static readonly ConcurrentDictionary<RSA, RSAParameters> rented = new();

    public static RSA Rent()
    {
        if (!free.TryTake(out var pair))
        {
            using var generated = RSA.Create(2048);
            pair = generated.ExportParameters(includePrivateParameters: true);
        }

        var key = RSA.Create(pair);
        rented[key] = pair;
        return key;
    }

    /// <summary>Disposes <paramref name="key"/> and lets its pair be handed out again.</summary>
    public static void Return(RSA key)
    {
        if (rented.TryRemove(key, out var pair)) free.Add(pair);
        key.Dispose();
    }
}
