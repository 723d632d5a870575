using System.Security.Cryptography;
using Platform.Storage.Blobs;
using Platform.Storage.Crypto;
using Platform.Storage.Keys;

namespace Platform.Storage.Objects;

/// <summary>Opens an object for reading: unwraps its data key, checks its header and length, and verifies the first segment the range needs.</summary>
internal sealed class ObjectReads(IBlobStore blobs, DataKeys dataKeys)
{
    /// <exception cref="KeyUnavailableException">The organization key version is retired or destroyed.</exception>
    /// <exception cref="ObjectIntegrityException">The stored bytes or wrapped key are not this object's, intact.</exception>
    public async Task<ObjectContentResult> OpenAsync(StoredObject stored, ByteRange range, CancellationToken cancellationToken)
    {
        var opened = await OpenDecryptorAsync(stored, cancellationToken);
        Stream? blob = opened.Blob;
        ObjectDecryptor? decryptor = opened.Decryptor;
        try
        {
            var first = stored.Size == 0 ? 0 : range.First / decryptor.Layout.SegmentSize;
            await decryptor.ReadSegmentAsync(first, cancellationToken);
            var result = new ObjectContentResult(stored, decryptor, blob, range);
            (blob, decryptor) = (null, null);
            return result;
        }
        finally
        {
            decryptor?.Dispose();
            if (blob is not null) await blob.DisposeAsync();
        }
    }

    /// <summary>The whole plaintext of a (small) object, every segment verified (a data-subject archive's copy).</summary>
    /// <exception cref="KeyUnavailableException">The organization key version is retired or destroyed.</exception>
    /// <exception cref="ObjectIntegrityException">The stored bytes or wrapped key are not this object's, intact.</exception>
    public async Task<byte[]> ReadAllAsync(StoredObject stored, CancellationToken cancellationToken)
    {
        var (blob, decryptor) = await OpenDecryptorAsync(stored, cancellationToken);
        await using (blob)
        using (decryptor)
        {
            var content = new byte[stored.Size];
            var offset = 0;
            if (stored.Size > 0)
            {
                await decryptor.CopyRangeAsync(0, stored.Size - 1, (bytes, _) =>
                {
                    bytes.Span.CopyTo(content.AsSpan(offset));
                    offset += bytes.Length;
                    return ValueTask.CompletedTask;
                }, cancellationToken);
            }

            return content;
        }
    }

    private async Task<(Stream Blob, ObjectDecryptor Decryptor)> OpenDecryptorAsync(StoredObject stored, CancellationToken cancellationToken)
    {
        var dataKey = await dataKeys.OpenAsync(stored.OrganizationId, stored.Id, stored.KeyVersion, stored.WrappedDataKey, cancellationToken);
        Stream? blob = null;
        try
        {
            blob = await blobs.OpenReadAsync(stored.BlobKey, cancellationToken) ?? throw new ObjectIntegrityException("The object's bytes are missing.");
            var decryptor = await ObjectDecryptor.OpenAsync(blob, stored.Size, dataKey, stored.OrganizationId, stored.Id, cancellationToken);
            var opened = (blob, decryptor);
            blob = null;
            return opened;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            if (blob is not null) await blob.DisposeAsync();
        }
    }
}
