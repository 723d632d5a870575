using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Retention.Backups;

/// <summary>
/// A backup set's payload files: AES-256-GCM in 1 MiB segments (bounded memory for any size), under a key derived per
/// file with HKDF-SHA256 from the backup key, a random salt and the file's place (<c>backup id / file name</c>), so a
/// file moved to another set or name does not decrypt. Nonce = 7-byte random prefix ‖ segment counter (u32) ‖ last-segment
/// flag: reordered, dropped or truncated segments fail.
/// <code>header (44 B): "PBK1" | salt (32) | nonce prefix (7) | 0x00 ; segment: ciphertext ‖ tag (16)</code>
/// </summary>
internal sealed class BackupCipher(byte[] backupKey)
{
    public const int SegmentBytes = 1024 * 1024;
    private const int TagBytes = 16;
    private static readonly byte[] Magic = "PBK1"u8.ToArray();
    private const int HeaderBytes = 4 + 32 + 7 + 1;

    public static BackupCipher FromSecret(string secret) =>
        new(HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, salt: [], info: "platform backup payload v1"u8.ToArray()));

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="destination"/>; returns the plaintext length.</summary>
    public async Task<long> EncryptAsync(Stream plaintext, Stream destination, string backupId, string fileName, CancellationToken cancellationToken)
    {
        var salt = RandomNumberGenerator.GetBytes(32);
        var prefix = RandomNumberGenerator.GetBytes(7);
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header, 0);
        salt.CopyTo(header, 4);
        prefix.CopyTo(header, 36);
        await destination.WriteAsync(header, cancellationToken);
        using var aes = new AesGcm(FileKey(salt, backupId, fileName), TagBytes);
        var current = new byte[SegmentBytes];
        var next = new byte[SegmentBytes];
        var currentLength = await FillAsync(plaintext, current, cancellationToken);
        var output = new byte[SegmentBytes + TagBytes];
        long total = 0;
        for (uint counter = 0; ; counter++)
        {
            var nextLength = currentLength == SegmentBytes ? await FillAsync(plaintext, next, cancellationToken) : 0;
            var last = nextLength == 0;
            aes.Encrypt(Nonce(prefix, counter, last), current.AsSpan(0, currentLength), output.AsSpan(0, currentLength), output.AsSpan(currentLength, TagBytes));
            await destination.WriteAsync(output.AsMemory(0, currentLength + TagBytes), cancellationToken);
            total += currentLength;
            if (last) break;
            (current, next, currentLength) = (next, current, nextLength);
        }

        return total;
    }

    /// <summary>Decrypts into <paramref name="destination"/> (null: only checks every tag); throws <see cref="BackupInvalidException"/> on any alteration.</summary>
    public async Task<long> DecryptAsync(Stream ciphertext, Stream? destination, string backupId, string fileName, CancellationToken cancellationToken)
    {
        var header = new byte[HeaderBytes];
        if (await FillAsync(ciphertext, header, cancellationToken) != HeaderBytes || !header.AsSpan(0, 4).SequenceEqual(Magic))
            throw new BackupInvalidException($"{fileName} is not a backup payload file (its header is wrong or missing).");
        using var aes = new AesGcm(FileKey(header[4..36], backupId, fileName), TagBytes);
        var prefix = header[36..43];
        var buffer = new byte[SegmentBytes + TagBytes];
        var lookahead = new byte[SegmentBytes + TagBytes];
        var plain = new byte[SegmentBytes];
        var length = await FillAsync(ciphertext, buffer, cancellationToken);
        long total = 0;
        for (uint counter = 0; ; counter++)
        {
            if (length < TagBytes) throw new BackupInvalidException($"{fileName} is truncated.");
            var nextLength = length == buffer.Length ? await FillAsync(ciphertext, lookahead, cancellationToken) : 0;
            var last = nextLength == 0;
            var plainLength = length - TagBytes;
            try
            {
                aes.Decrypt(Nonce(prefix, counter, last), buffer.AsSpan(0, plainLength), buffer.AsSpan(plainLength, TagBytes), plain.AsSpan(0, plainLength));
            }
            catch (AuthenticationTagMismatchException)
            {
                throw new BackupInvalidException($"{fileName} failed authentication at segment {counter}: it was altered, truncated, or made with another backup key.");
            }

            if (destination is not null) await destination.WriteAsync(plain.AsMemory(0, plainLength), cancellationToken);
            total += plainLength;
            if (last) return total;
            (buffer, lookahead, length) = (lookahead, buffer, nextLength);
        }
    }

    private byte[] FileKey(ReadOnlySpan<byte> salt, string backupId, string fileName) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, backupKey, 32, salt.ToArray(), Encoding.UTF8.GetBytes($"{backupId}/{fileName}"));

    private static byte[] Nonce(byte[] prefix, uint counter, bool last)
    {
        var nonce = new byte[12];
        prefix.CopyTo(nonce, 0);
        BinaryPrimitives.WriteUInt32BigEndian(nonce.AsSpan(7), counter);
        nonce[11] = last ? (byte)1 : (byte)0;
        return nonce;
    }

    private static async Task<int> FillAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }

        return filled;
    }
}

/// <summary>A backup set that fails its checks: the message says what, and is safe to show (no key, no path outside the set).</summary>
internal sealed class BackupInvalidException(string message) : Exception(message);
