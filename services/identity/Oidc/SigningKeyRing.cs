using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using OpenIddict.Server;
using Platform.Identity.Mfa;

namespace Platform.Identity.Oidc;

/// <summary>
/// Token signing keys (ECDSA P-256, ES256): generated here, stored in <c>signing_keys</c> encrypted under
/// <c>Identity:DataKey</c>, never development certificates. The newest key signs; older ones stay published in the
/// JWKS and accepted for validation until every token they signed has expired (the longest token lifetime), so a
/// rotation never breaks a token in flight.
/// </summary>
internal sealed partial class SigningKeyRing(NpgsqlDataSource dataSource, DataProtector protector, TimeProvider clock, IOptions<IdentityOptions> options, ILogger<SigningKeyRing> logger)
{
    private readonly Lock gate = new();
    private volatile IReadOnlyList<(string Id, DateTimeOffset CreatedAt, ECDsaSecurityKey Key)> keys = [];

    /// <summary>Keys newest first: the first signs, all are published and accepted.</summary>
    public IReadOnlyList<ECDsaSecurityKey> Keys => keys.Select(k => k.Key).ToList();

    public ECDsaSecurityKey Current => keys[0].Key;

    public TimeSpan Retention => Max(options.Value.Tokens.AccessTokenLifetime, options.Value.Tokens.RefreshTokenLifetime) + TimeSpan.FromHours(1);

    /// <summary>Loads the ring, creating a key when there is none or the newest is older than the rotation period.</summary>
    public async Task<bool> RefreshAsync(bool forceRotation, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var loaded = await LoadAsync(now, cancellationToken);
        var rotated = false;
        if (forceRotation || loaded.Count == 0 || now - loaded[0].CreatedAt >= options.Value.Tokens.SigningKeyRotation)
        {
            loaded.Insert(0, await CreateAsync(now, cancellationToken));
            rotated = true;
        }

        lock (gate) keys = loaded;
        return rotated;
    }

    /// <summary>Puts the ring into OpenIddict's options: the current key signs; every retained key validates.</summary>
    public void Apply(OpenIddictServerOptions server)
    {
        var credentials = new SigningCredentials(Current, SecurityAlgorithms.EcdsaSha256);
        if (server.SigningCredentials.Count == 0) server.SigningCredentials.Add(credentials);
        else server.SigningCredentials[0] = credentials;
        server.TokenValidationParameters.IssuerSigningKeys = Keys.Cast<SecurityKey>().ToList();
    }

    private async Task<List<(string Id, DateTimeOffset CreatedAt, ECDsaSecurityKey Key)>> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id, encrypted_key, created_at FROM signing_keys WHERE created_at > $1 ORDER BY created_at DESC, id DESC");
        command.Parameters.AddWithValue(now - Retention - options.Value.Tokens.SigningKeyRotation);
        var list = new List<(string, DateTimeOffset, ECDsaSecurityKey)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            list.Add((id, reader.GetFieldValue<DateTimeOffset>(2), Import(id, reader.GetFieldValue<byte[]>(1))));
        }

        // A key that was replaced longer ago than the retention signed nothing still valid: drop it.
        var kept = new List<(string, DateTimeOffset, ECDsaSecurityKey)>();
        for (var index = 0; index < list.Count; index++)
        {
            if (index == 0 || now - list[index - 1].Item2 < Retention) kept.Add(list[index]);
        }

        return kept;
    }

    private async Task<(string, DateTimeOffset, ECDsaSecurityKey)> CreateAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Model.Ids.NewSigningKey();
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pkcs8 = ecdsa.ExportPkcs8PrivateKey();
        try
        {
            await using var insert = dataSource.CreateCommand("INSERT INTO signing_keys (id, encrypted_key, created_at) VALUES ($1, $2, $3)");
            insert.Parameters.AddWithValue(id);
            insert.Parameters.AddWithValue(protector.Protect(pkcs8, "signing-key:" + id));
            insert.Parameters.AddWithValue(now);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }

        LogKeyCreated(logger, id);
        return (id, now, Import(id, null, ecdsa.ExportPkcs8PrivateKey()));
    }

    private ECDsaSecurityKey Import(string id, byte[]? encrypted, byte[]? plain = null)
    {
        var pkcs8 = plain ?? protector.Unprotect(encrypted, "signing-key:" + id);
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(pkcs8, out _);
        CryptographicOperations.ZeroMemory(pkcs8);
        return new ECDsaSecurityKey(ecdsa) { KeyId = id };
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Signing key {KeyId} created")]
    private static partial void LogKeyCreated(ILogger logger, string keyId);
}
