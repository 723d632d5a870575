using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Bench;

/// <summary>
/// Objects laid straight into a storage region's database and blob root as storage stores them (one dataset, one
/// <c>COPY</c> of the rows, a file of random bytes each), so a bench measures what it is about rather than uploads.
/// </summary>
internal static class StoredObjects
{
    /// <summary>Lays <paramref name="count"/> objects of <paramref name="size"/> bytes; returns their ids in order.</summary>
    public static async Task<List<string>> LayAsync(NpgsqlConnection connection, string blobRoot, string organization, string dataset, int count, int size)
    {
        await using (var command = new NpgsqlCommand("INSERT INTO datasets (id, organization_id, region, name, created_at, created_by) VALUES ($1, $2, 'us', 'bench', now(), 'bench')", connection))
        {
            command.Parameters.Add(new() { Value = dataset });
            command.Parameters.Add(new() { Value = organization });
            await command.ExecuteNonQueryAsync();
        }

        Directory.CreateDirectory(Path.Combine(blobRoot, organization, dataset));
        var ids = new List<string>(count);
        var content = new byte[size];
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY objects (id, dataset_id, organization_id, name, data_class, size, content_type, key_version, wrapped_dek, blob_key, created_at, created_by) FROM STDIN (FORMAT BINARY)");
        for (var i = 0; i < count; i++)
        {
            var id = $"obj_us_{Guid.CreateVersion7():N}";
            var key = $"{organization}/{dataset}/{id}";
            ids.Add(id);
            RandomNumberGenerator.Fill(content);
            await File.WriteAllBytesAsync(Path.Combine(blobRoot, key), content);
            await writer.StartRowAsync();
            await writer.WriteAsync(id);
            await writer.WriteAsync(dataset);
            await writer.WriteAsync(organization);
            await writer.WriteAsync($"image-{i:D6}.png");
            await writer.WriteAsync("image");
            // The plaintext size: the blob is the ciphertext, its nonce and tag and the envelope's header.
            await writer.WriteAsync((long)Math.Max(0, size - 56), NpgsqlDbType.Bigint);
            await writer.WriteAsync("image/png");
            await writer.WriteAsync(1, NpgsqlDbType.Integer);
            await writer.WriteAsync(RandomNumberGenerator.GetBytes(60), NpgsqlDbType.Bytea);
            await writer.WriteAsync(key);
            await writer.WriteAsync(DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz);
            await writer.WriteAsync("bench");
        }

        await writer.CompleteAsync();
        return ids;
    }
}
