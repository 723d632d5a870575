using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Platform.Gateway.Events;
using Platform.Messaging;

namespace Platform.Gateway.Auditing;

/// <summary>
/// The gateway's local durable spool for audit events. Requests only put events in memory; a writer appends them
/// to disk, a publisher sends what is on disk to RabbitMQ with confirms, many events per message
/// (<see cref="AuditBatchRecorded"/>), and checkpoints what was confirmed. While
/// RabbitMQ is unreachable the spool grows on disk; when it comes back the spool drains — also after a restart.
/// </summary>
internal sealed partial class AuditSpool(
    IOptions<AuditOptions> options, IOptions<EventBusOptions> bus, IEventPublisher publisher, TimeProvider time, IMeterFactory meters, ILogger<AuditSpool> logger)
    : BackgroundService
{
    private static readonly JsonSerializerOptions json = new(JsonSerializerDefaults.Web);
    private readonly Channel<AuditRecorded> queue = Channel.CreateUnbounded<AuditRecorded>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<bool> appended = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Counter<long> spooled = meters.Create("Platform.Gateway").CreateCounter<long>("platform.gateway.audit.spooled");
    private readonly Counter<long> published = meters.Create("Platform.Gateway").CreateCounter<long>("platform.gateway.audit.published");
    private readonly AuditOptions settings = options.Value;

    public void Enqueue(AuditRecorded @event)
    {
        if (!queue.Writer.TryWrite(@event)) LogNotSpooled(logger, @event.Id);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Requests have stopped by now (the web server stops first); what is queued still goes to disk.
        queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var folder = SpoolFolder.Acquire(settings.SpoolDirectory);
        LogSpoolFolder(logger, folder.Path);
        var writing = Task.Run(() => WriteAsync(folder), CancellationToken.None);
        var publishing = Task.Run(() => PublishAsync(folder, stoppingToken), CancellationToken.None);
        await Task.WhenAll(writing, publishing);
    }

    private async Task WriteAsync(SpoolFolder folder)
    {
        // Never append to an old segment: its tail may be a line cut short by a crash.
        var segment = folder.Segments().DefaultIfEmpty(0).Max() + 1;
        var stream = Open(folder, segment);
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        using var writer = new Utf8JsonWriter(buffer);
        var lastSync = time.GetTimestamp();
        try
        {
            while (await queue.Reader.WaitToReadAsync())
            {
                buffer.Clear();
                var count = 0;
                while (count < 2000 && queue.Reader.TryRead(out var @event))
                {
                    writer.Reset(buffer);
                    JsonSerializer.Serialize(writer, @event, json);
                    writer.Flush();
                    buffer.Write("\n"u8);
                    count++;
                }

                // Into the OS page cache at once (survives a killed process); onto the disk every SyncInterval.
                stream.Write(buffer.WrittenSpan);
                stream.Flush(flushToDisk: false);
                if (time.GetElapsedTime(lastSync) >= settings.SyncInterval)
                {
                    stream.Flush(flushToDisk: true);
                    lastSync = time.GetTimestamp();
                }

                spooled.Add(count);
                if (stream.Length >= settings.MaxSegmentBytes)
                {
                    stream.Flush(flushToDisk: true);
                    await stream.DisposeAsync();
                    stream = Open(folder, ++segment);
                }

                appended.Writer.TryWrite(true);
            }
        }
        finally
        {
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
        }
    }

    private static FileStream Open(SpoolFolder folder, long segment) =>
        new(folder.SegmentPath(segment), new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.Read | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });

    private async Task PublishAsync(SpoolFolder folder, CancellationToken stoppingToken)
    {
        var reader = new SpoolReader(folder);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var batch = reader.ReadBatch(settings.PublishBatchSize, out var corrupt);
                if (corrupt > 0) LogCorruptLines(logger, corrupt, folder.Path);
                if (batch.Count == 0)
                {
                    if (!reader.AdvanceIfComplete(out var lostBytes))
                    {
                        await WaitForAppendAsync(stoppingToken);
                    }
                    else if (lostBytes > 0)
                    {
                        LogTornTail(logger, lostBytes);
                    }

                    continue;
                }

                await PublishWithRetryAsync(AuditBatches.Pack(batch, settings.EventsPerMessage, bus.Value.MaxMessageBytes / 2), stoppingToken);
                reader.Commit();
                published.Add(batch.Count);

                // Less than a message's worth was waiting: let the next batch gather for a moment rather than send
                // a message per handful of requests. After an idle spell the first event still goes out at once.
                if (batch.Count < settings.EventsPerMessage) await Task.Delay(settings.PublishLinger, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Unpublished events stay on disk for the next start.
        }
        finally
        {
            reader.Dispose();
        }
    }

    private async Task PublishWithRetryAsync(IReadOnlyList<AuditBatchRecorded> batch, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await publisher.PublishAsync(batch, stoppingToken);
                if (attempt > 1) LogPublishRecovered(logger, batch.Sum(b => b.Events.Count), attempt);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogPublishFailed(logger, batch.Sum(b => b.Events.Count), attempt, e.GetType().Name, delay.TotalMilliseconds);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 10_000));
            }
        }
    }

    private async Task WaitForAppendAsync(CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await appended.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // Poll anyway: a spool left by an earlier process has no writer to signal.
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Audit spool in {Path}")]
    private static partial void LogSpoolFolder(ILogger logger, string path);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Audit event {EventId} arrived after the spool stopped and was not recorded")]
    private static partial void LogNotSpooled(ILogger logger, string eventId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Publishing {Count} audit events failed (attempt {Attempt}, {ErrorType}); retrying in {DelayMs} ms, they stay in the spool")]
    private static partial void LogPublishFailed(ILogger logger, int count, int attempt, string errorType, double delayMs);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Published {Count} spooled audit events after {Attempt} attempts")]
    private static partial void LogPublishRecovered(ILogger logger, int count, int attempt);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Error, Message = "Skipped {Count} unreadable lines in the audit spool {Path}")]
    private static partial void LogCorruptLines(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Warning, Message = "A spool segment ended with {Bytes} bytes of an unfinished line (a crash while writing); they are skipped")]
    private static partial void LogTornTail(ILogger logger, long bytes);
}
