using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace Platform.Retention.Backups;

/// <summary>
/// A restored database of transit ciphertexts (keys' <c>organization_secrets</c>), reconciled like storage's objects:
/// every secret still live gets its current ciphertext from the live database (live secrets were rewrapped onto live
/// key versions since); every other keeps the backup's, which decrypts only while its version lives in the storage that
/// sealed it (<see cref="BackupDatabase.TransitKeys"/>). A secret whose version was destroyed there — deleted more than
/// the deletion bound ago — can be read by no one, so its row (name, version, who changed it) is dropped and listed.
/// </summary>
internal static partial class TransitSecrets
{
    public static async Task<(int Rewrapped, List<UnrecoverableObject> Lost)> ReconcileAsync(
        string name, string target, string live, string transitKeys, CancellationToken cancellationToken)
    {
        await using var restored = new NpgsqlConnection(target);
        await restored.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('public.organization_secrets') IS NOT NULL", restored))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true) return (0, []);
        }

        var secrets = new List<(string Organization, string Name, string Ciphertext)>();
        await using (var select = new NpgsqlCommand("SELECT organization_id, name, ciphertext FROM organization_secrets", restored))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) secrets.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        await using var transaction = await restored.BeginTransactionAsync(cancellationToken);
        var rewrapped = 0;
        await using (var source = new NpgsqlConnection(live))
        {
            await source.OpenAsync(cancellationToken);
            foreach (var batch in secrets.Chunk(1000))
            {
                var current = new List<(string Organization, string Name, string Ciphertext)>();
                await using (var select = new NpgsqlCommand(
                    "SELECT organization_id, name, ciphertext FROM organization_secrets WHERE organization_id || '/' || name = ANY($1)", source))
                {
                    select.Parameters.Add(new() { Value = batch.Select(s => $"{s.Organization}/{s.Name}").ToArray() });
                    await using var reader = await select.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken)) current.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                }

                foreach (var (organization, secret, ciphertext) in current)
                {
                    await using var update = new NpgsqlCommand(
                        "UPDATE organization_secrets SET ciphertext = $3 WHERE organization_id = $1 AND name = $2 AND ciphertext <> $3", restored, transaction);
                    update.Parameters.Add(new() { Value = organization });
                    update.Parameters.Add(new() { Value = secret });
                    update.Parameters.Add(new() { Value = ciphertext });
                    rewrapped += await update.ExecuteNonQueryAsync(cancellationToken);
                }
            }
        }

        // Which versions still unwrap, per organization, in the storage whose transit keys sealed these ciphertexts.
        var organizations = secrets.Select(s => s.Organization).Distinct().ToArray();
        var versions = new Dictionary<(string, int), bool>();
        var shredded = new HashSet<string>(StringComparer.Ordinal);
        await using (var source = new NpgsqlConnection(transitKeys))
        {
            await source.OpenAsync(cancellationToken);
            await using var select = new NpgsqlCommand("""
                SELECT o.organization_id, o.destroyed_at IS NOT NULL, v.version, v.wrapped_key IS NOT NULL
                FROM organization_keys o LEFT JOIN organization_key_versions v ON v.organization_id = o.organization_id
                WHERE o.organization_id = ANY($1)
                """, source);
            select.Parameters.Add(new() { Value = organizations });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetBoolean(1)) shredded.Add(reader.GetString(0));
                if (!reader.IsDBNull(2)) versions[(reader.GetString(0), reader.GetInt32(2))] = reader.GetBoolean(3);
            }
        }

        var lost = new List<UnrecoverableObject>();
        await using (var current = new NpgsqlCommand("SELECT organization_id, name, ciphertext FROM organization_secrets", restored, transaction))
        {
            var rows = new List<(string Organization, string Name, string Ciphertext)>();
            await using (var reader = await current.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }

            foreach (var (organization, secret, ciphertext) in rows)
            {
                var version = VersionOf(ciphertext);
                var reason = shredded.Contains(organization) ? "organization-keys-destroyed"
                    : versions.TryGetValue((organization, version), out var usable) ? (usable ? null : "key-version-destroyed")
                    : "key-version-unknown";
                if (reason is null) continue;
                await using var drop = new NpgsqlCommand("DELETE FROM organization_secrets WHERE organization_id = $1 AND name = $2", restored, transaction);
                drop.Parameters.Add(new() { Value = organization });
                drop.Parameters.Add(new() { Value = secret });
                await drop.ExecuteNonQueryAsync(cancellationToken);
                lost.Add(new UnrecoverableObject(name, organization, $"secret:{secret}", version, reason));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return (rewrapped, lost);
    }

    /// <summary>The key version of a transit ciphertext (<c>pvt:v&lt;version&gt;:…</c>); 0 when it is not one.</summary>
    private static int VersionOf(string ciphertext) =>
        Sealed().Match(ciphertext) is { Success: true } match && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 0;

    [GeneratedRegex("^pvt:v([0-9]{1,9}):")]
    private static partial Regex Sealed();
}
