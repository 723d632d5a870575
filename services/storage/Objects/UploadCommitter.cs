using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Storage.Blobs;

namespace Platform.Storage.Objects;

/// <summary>
/// Group commit of uploads (issue 20 item 3). An upload whose bytes are written waits here with others; each batch gets
/// one round of fsyncs for all its blobs (<see cref="IBlobStore.CommitAsync"/>) and then one database transaction for
/// all its rows (<see cref="ObjectCatalog.InsertObjectsAsync"/>). An upload is answered only after both: its blob and
/// its row are durable. A batch takes every upload waiting when the previous batch ends (so batches grow with
/// concurrency), at most <see cref="GroupCommitOptions.MaxBatch"/>, and waits at most
/// <see cref="GroupCommitOptions.MaxWait"/> on the <see cref="TimeProvider"/> for uploads still writing. A failure
/// fails only the uploads whose work failed: a blob that could not be made durable fails its own upload, and when the
/// rows' transaction fails as a whole each row is tried again alone.
/// </summary>
internal sealed partial class UploadCommitter(
    IBlobStore blobs, ObjectCatalog catalog, TimeProvider time, IOptions<StorageOptions> options, ILogger<UploadCommitter> logger) : BackgroundService
{
    private readonly Channel<Pending> queue = Channel.CreateUnbounded<Pending>(new() { SingleReader = true });
    private readonly GroupCommitOptions settings = options.Value.GroupCommit;
    private TaskCompletionSource changed = NewSignal();
    private int writing;

    /// <summary>Batches committed so far (for the benchmark's figures and the tests).</summary>
    public long Batches => Interlocked.Read(ref batches);

    /// <summary>Uploads committed so far, in all batches.</summary>
    public long Committed => Interlocked.Read(ref committed);

    private long batches;
    private long committed;

    /// <summary>
    /// Marks an upload as writing its bytes, until it is handed over (<see cref="CommitAsync"/>) or disposed: a batch
    /// waits a little for such uploads.
    /// </summary>
    public IDisposable BeginWriting()
    {
        Interlocked.Increment(ref writing);
        return new Writing(this);
    }

    /// <summary>
    /// Makes the blob durable and records its row with others; completes when both are durable, with the row's outcome
    /// and the blob of an object it replaced. Throws when this upload's blob or row failed.
    /// </summary>
    public Task<(InsertOutcome Outcome, string? ReplacedBlob)> CommitAsync(IBlobWriter writer, NewObjectRow row, IDisposable writingMark)
    {
        var pending = new Pending(writer, row, new(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!queue.Writer.TryWrite(pending)) throw new InvalidOperationException("The service is stopping: the upload was not stored.");
        writingMark.Dispose();
        return pending.Done.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>(settings.MaxBatch);
        try
        {
            while (await queue.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                Take(batch);
                await WaitForWritersAsync(batch, stoppingToken);
                await CommitBatchAsync(batch, stoppingToken);
            }
        }
        finally
        {
            queue.Writer.TryComplete();
            var stopped = new OperationCanceledException("The service stopped before the upload was stored.");
            foreach (var pending in batch) pending.Done.TrySetException(stopped);
            while (queue.Reader.TryRead(out var pending)) pending.Done.TrySetException(stopped);
        }
    }

    private void Take(List<Pending> batch)
    {
        while (batch.Count < settings.MaxBatch && queue.Reader.TryRead(out var pending)) batch.Add(pending);
    }

    /// <summary>While uploads are still writing and the batch has room, waits for them, at most MaxWait.</summary>
    private async Task WaitForWritersAsync(List<Pending> batch, CancellationToken stoppingToken)
    {
        if (settings.MaxWait <= TimeSpan.Zero || batch.Count >= settings.MaxBatch || Volatile.Read(ref writing) == 0) return;
        using var deadline = new CancellationTokenSource(settings.MaxWait, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, stoppingToken);
        while (batch.Count < settings.MaxBatch)
        {
            // Read the signal before looking, so that a hand-over after the look still wakes this wait.
            var signal = Volatile.Read(ref changed).Task;
            Take(batch);
            if (batch.Count >= settings.MaxBatch || Volatile.Read(ref writing) == 0) return;
            try
            {
                await signal.WaitAsync(either.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
            {
                Take(batch);
                return;
            }
        }
    }

    private async Task CommitBatchAsync(List<Pending> batch, CancellationToken stoppingToken)
    {
        try
        {
            var failures = await blobs.CommitAsync(batch.Select(p => p.Writer).ToArray(), stoppingToken);
            var durable = new List<Pending>(batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                if (failures[i] is { } failure)
                {
                    LogBlobFailed(logger, batch[i].Row.Stored.Id, failure);
                    batch[i].Done.TrySetException(failure);
                }
                else
                {
                    durable.Add(batch[i]);
                }
            }

            if (durable.Count == 0) return;
            var results = await InsertRowsAsync(durable, stoppingToken);
            Interlocked.Increment(ref batches);
            Interlocked.Add(ref committed, durable.Count);
            for (var i = 0; i < durable.Count; i++)
            {
                if (results[i].Failure is { } failure) durable[i].Done.TrySetException(failure);
                else durable[i].Done.TrySetResult((results[i].Outcome, results[i].ReplacedBlob));
            }
        }
        catch (Exception exception)
        {
            // Nothing was acknowledged: whatever is not yet answered fails, and its writer's disposal removes its blob.
            foreach (var pending in batch) pending.Done.TrySetException(exception);
        }
    }

    /// <summary>All rows in one transaction; when that fails as a whole, each row alone, so that only the failing ones fail.</summary>
    private async Task<RowResult[]> InsertRowsAsync(List<Pending> durable, CancellationToken stoppingToken)
    {
        var rows = durable.Select(p => p.Row).ToArray();
        if (rows.Length > 1)
        {
            try
            {
                return await catalog.InsertObjectsAsync(rows, stoppingToken);
            }
            catch (NpgsqlException exception)
            {
                LogBatchRetried(logger, rows.Length, exception.Message);
            }
        }

        var results = new RowResult[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            try
            {
                results[i] = (await catalog.InsertObjectsAsync([rows[i]], stoppingToken))[0];
            }
            catch (NpgsqlException exception)
            {
                results[i] = new(default, null, exception);
            }
        }

        return results;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Signal() => Interlocked.Exchange(ref changed, NewSignal()).TrySetResult();

    private sealed record Pending(IBlobWriter Writer, NewObjectRow Row, TaskCompletionSource<(InsertOutcome, string?)> Done);

    private sealed class Writing(UploadCommitter owner) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) != 0) return;
            Interlocked.Decrement(ref owner.writing);
            owner.Signal();
        }
    }

    [LoggerMessage(EventId = 5110, Level = LogLevel.Warning, Message = "The blob of upload {ObjectId} could not be made durable; that upload fails")]
    private static partial void LogBlobFailed(ILogger logger, string objectId, Exception exception);

    [LoggerMessage(EventId = 5111, Level = LogLevel.Warning, Message = "A batch of {Rows} upload rows failed as a whole ({Reason}); each row is tried alone")]
    private static partial void LogBatchRetried(ILogger logger, int rows, string reason);
}
