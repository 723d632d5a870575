using System.Globalization;
using Platform.Storage.Crypto;

namespace Platform.Storage.Objects;

/// <summary>
/// Streams a verified object (or a range of it). The first needed segment was verified before this result was
/// chosen, so a bad header or key becomes a problem response; a segment that fails later, after the status line has
/// gone out, aborts the connection: the client sees a broken transfer, never a wrong byte.
/// </summary>
internal sealed partial class ObjectContentResult(StoredObject stored, ObjectDecryptor decryptor, Stream blob, ByteRange range) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        try
        {
            response.StatusCode = range.Kind == RangeKind.Partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
            response.ContentType = stored.ContentType;
            response.Headers.AcceptRanges = "bytes";
            response.Headers.ETag = $"\"{stored.Id}\"";
            response.Headers.CacheControl = "private, no-store";
            if (range.Kind == RangeKind.Partial)
            {
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.First}-{range.Last}/{stored.Size}");
            }

            var length = stored.Size == 0 ? 0 : range.Length;
            response.ContentLength = length;
            if (HttpMethods.IsHead(httpContext.Request.Method) || length == 0) return;

            await decryptor.CopyRangeAsync(range.First, range.Last, (bytes, token) => response.Body.WriteAsync(bytes, token), cancellationToken);
        }
        catch (ObjectIntegrityException exception)
        {
            var logger = httpContext.RequestServices.GetRequiredService<ILogger<ObjectContentResult>>();
            LogIntegrityFailure(logger, stored.Id, exception.Message);
            httpContext.Abort();
        }
        finally
        {
            decryptor.Dispose();
            await blob.DisposeAsync();
        }
    }

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Object {ObjectId} failed its integrity check mid-stream ({Reason}); the response was aborted")]
    private static partial void LogIntegrityFailure(ILogger logger, string objectId, string reason);
}
