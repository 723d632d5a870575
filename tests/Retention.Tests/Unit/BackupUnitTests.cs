using System.Security.Cryptography;
using Platform.Retention.Backups;

namespace Platform.Retention.Tests.Unit;

public sealed class BackupOptionsTests
{
    private static BackupOptions Valid() => new()
    {
        Folder = "/var/backups/platform",
        Key = "backup-key-0123456789-0123456789-0123456789",
        SigningKey = "backup-signing-key-0123456789-0123456789",
        Databases = [new BackupDatabase { Name = "storage-us", ConnectionString = "Host=localhost;Database=storageusdb;Username=u;Password=secret-password" }],
        BlobRoots = [new BackupBlobRoot { Name = "storage-us-blobs", Path = "/var/lib/platform/blobs", Database = "storage-us" }],
        Operators = [new BackupOperator { Name = "ops", Token = new string('t', 40), Restore = true }],
    };

    [Fact]
    public void Defaults_fit_the_bound_and_off_is_valid()
    {
        Assert.True(new BackupOptionsValidator().Validate(null, Valid()).Succeeded);
        Assert.True(new BackupOptionsValidator().Validate(null, new BackupOptions()).Succeeded);
    }

    [Fact]
    public void Retention_plus_key_epochs_beyond_the_bound_and_every_other_error_are_reported_at_once_without_secrets()
    {
        var options = Valid();
        options.Retention = TimeSpan.FromDays(30);
        options.Key = "short";
        options.Databases.Add(new BackupDatabase { Name = "Storage US", ConnectionString = "not a connection string" });
        options.BlobRoots[0].Database = "nowhere";
        var failures = new BackupOptionsValidator().Validate(null, options).Failures!.ToList();
        Assert.Contains(failures, f => f.Contains("must not exceed DeletionBound", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Key must have at least 32 characters", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Databases:1:Name", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Databases:1:ConnectionString", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("BlobRoots:0:Database", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.Contains("secret-password", StringComparison.Ordinal) || f.Contains("short", StringComparison.Ordinal));
    }
}

public sealed class BackupCipherTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(BackupCipher.SegmentBytes)]
    [InlineData(BackupCipher.SegmentBytes * 2 + 17)]
    public async Task Round_trips_at_segment_edges_and_any_change_fails(int size)
    {
        var cipher = BackupCipher.FromSecret("backup-key-0123456789-0123456789-0123456789");
        var plaintext = RandomNumberGenerator.GetBytes(size);
        using var sealedStream = new MemoryStream();
        Assert.Equal(size, await cipher.EncryptAsync(new MemoryStream(plaintext), sealedStream, "bk_1", "db-a.dump.enc", CancellationToken.None));
        var sealedBytes = sealedStream.ToArray();
        using var opened = new MemoryStream();
        await cipher.DecryptAsync(new MemoryStream(sealedBytes), opened, "bk_1", "db-a.dump.enc", CancellationToken.None);
        Assert.Equal(plaintext, opened.ToArray());

        // Another set or file name, another key, a flipped bit, a truncation: refused.
        await Assert.ThrowsAsync<BackupInvalidException>(() => cipher.DecryptAsync(new MemoryStream(sealedBytes), null, "bk_2", "db-a.dump.enc", CancellationToken.None));
        await Assert.ThrowsAsync<BackupInvalidException>(() => cipher.DecryptAsync(new MemoryStream(sealedBytes), null, "bk_1", "db-b.dump.enc", CancellationToken.None));
        await Assert.ThrowsAsync<BackupInvalidException>(() => BackupCipher.FromSecret("another-key-0123456789-0123456789-012345").DecryptAsync(new MemoryStream(sealedBytes), null, "bk_1", "db-a.dump.enc", CancellationToken.None));
        var flipped = (byte[])sealedBytes.Clone();
        flipped[^1] ^= 1;
        await Assert.ThrowsAsync<BackupInvalidException>(() => cipher.DecryptAsync(new MemoryStream(flipped), null, "bk_1", "db-a.dump.enc", CancellationToken.None));
        if (size > BackupCipher.SegmentBytes)
        {
            // Dropping the last segment leaves a stream whose new last segment is not flagged last.
            var truncated = sealedBytes[..(44 + BackupCipher.SegmentBytes + 16)];
            await Assert.ThrowsAsync<BackupInvalidException>(() => cipher.DecryptAsync(new MemoryStream(truncated), null, "bk_1", "db-a.dump.enc", CancellationToken.None));
        }
    }
}
