using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using NSec.Cryptography;

namespace Platform.Identity.Passwords;

/// <summary>
/// Argon2id through libsodium (NSec), at or above the OWASP Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1).
/// Hashes are PHC strings (<c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>) so each carries its own parameters and
/// can be rehashed when the configured ones are raised.
/// </summary>
internal sealed class PasswordHasher
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private readonly int memoryKiB;
    private readonly int iterations;
    private readonly Lazy<string> dummy;

    // At most one Argon2id per core at a time: more would only queue in the CPU, hold 19 MiB each, and starve the
    // thread pool of the threads that finish the database work of other requests.
    private static readonly SemaphoreSlim cores = new(Environment.ProcessorCount, Environment.ProcessorCount);

    public PasswordHasher(IOptions<IdentityOptions> options)
    {
        memoryKiB = options.Value.Passwords.MemoryKiB;
        iterations = options.Value.Passwords.Iterations;
        dummy = new Lazy<string>(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
    }

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, memoryKiB, iterations);
        return $"$argon2id$v=19$m={memoryKiB},t={iterations},p=1${Encode(salt)}${Encode(hash)}";
    }

    /// <summary>Checks a password in constant time; <paramref name="needsRehash"/> when its parameters are below today's.</summary>
    public bool Verify(string password, string phc, out bool needsRehash)
    {
        needsRehash = false;
        var parts = phc.Split('$');
        // "", "argon2id", "v=19", "m=..,t=..,p=1", salt, hash
        if (parts is not ["", "argon2id", "v=19", var parameters, var saltText, var hashText]) return false;
        var values = parameters.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
        var salt = Decode(saltText);
        var expected = Decode(hashText);
        var actual = Derive(password, salt, values["m"], values["t"], expected.Length);
        var ok = CryptographicOperations.FixedTimeEquals(actual, expected);
        needsRehash = ok && (values["m"] < memoryKiB || values["t"] < iterations);
        return ok;
    }

    public Task<string> HashAsync(string password) => GatedAsync(() => Hash(password));

    public async Task<(bool Ok, bool NeedsRehash)> VerifyAsync(string password, string phc) =>
        await GatedAsync(() => (Verify(password, phc, out var rehash), rehash));

    public Task VerifyDummyAsync(string password) => GatedAsync(() => Verify(password, dummy.Value, out _));

    private static async Task<T> GatedAsync<T>(Func<T> work)
    {
        await cores.WaitAsync();
        try
        {
            return work();
        }
        finally
        {
            cores.Release();
        }
    }

    /// <summary>Spends the same work as a real check, for unknown or locked accounts (no enumeration by timing).</summary>
    public void VerifyDummy(string password) => Verify(password, dummy.Value, out _);

    private static byte[] Derive(string password, byte[] salt, int memory, int passes, int length = HashBytes)
    {

        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memory,
            NumberOfPasses = passes,
        });
        return algorithm.DeriveBytes(password, salt, length);
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] Decode(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
