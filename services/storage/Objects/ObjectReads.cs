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
        var dataKey = await dataKeys.OpenAsync(stored.OrganizationId, stored.Id, stored.KeyVersion, stored.WrappedDataKey, cancellationToken);
        Stream? blob = null;
        ObjectDecryptor? decryptor = null;
        try
        {
            blob = await blobs.OpenReadAsync(stored.BlobKey, cancellationToken) ?? throw new ObjectIntegrityException("The object's bytes are missing.");
            decryptor = await ObjectDecryptor.OpenAsync(blob, stored.Size, dataKey, stored.OrganizationId, stored.Id, cancellationToken);
            var first = stored.Size == 0 ? 0 : range.First / decryptor.Layout.SegmentSize;
            await decryptor.ReadSegmentAsync(first, cancellationToken);
            var result = new ObjectContentResult(stored, decryptor, blob, range);
            (blob, decryptor) = (null, null);
            return result;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dataKey);
            decryptor?.Dispose();
            if (blob is not null) await blob.DisposeAsync();
        }
    }
}
