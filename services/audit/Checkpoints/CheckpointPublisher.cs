using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Audit.Log;

namespace Platform.Audit.Checkpoints;

/// <summary>
/// Signs a checkpoint of every log on a schedule (<c>Audit:Checkpoints:Interval</c>), also of a log that has not
/// grown, so that a reader sees the log is alive and unchanged. Every log includes the one for events without an
/// organization.
/// </summary>
internal sealed partial class CheckpointPublisher(
    NpgsqlDataSource dataSource, NoteSigner signer, IOptions<CheckpointOptions> options, TimeProvider time, ILogger<CheckpointPublisher> logger) : BackgroundService
{
    private readonly CheckpointOptions settings = options.Value;

    /// <summary>The C2SP tlog-checkpoint body of a log: origin, tree size, base64 root hash, one per line.</summary>
    public static string Body(string origin, long size, byte[] root) =>
        $"{origin}\n{size.ToString(CultureInfo.InvariantCulture)}\n{Convert.ToBase64String(root)}\n";

    public string OriginOf(string logId) => $"{settings.Origin}/{(logId == LogIds.None ? "-" : logId)}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.Interval, time);
        do
        {
            try
            {
                await PublishAllAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
            {
                LogNotPublished(logger, exception.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Signs one checkpoint per log, each of the log's size at that moment; returns how many.</summary>
    public async Task<int> PublishAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var ensure = new NpgsqlCommand("INSERT INTO audit_logs (log_id) VALUES ('') ON CONFLICT DO NOTHING", connection))
        {
            await ensure.ExecuteNonQueryAsync(cancellationToken);
        }

        var checkpoints = new List<(string Log, long Size, byte[] Root, string Note)>();
        await using (var select = new NpgsqlCommand("SELECT log_id, size, frontier FROM audit_logs", connection))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var logId = reader.GetString(0);
                var size = reader.GetInt64(1);
                var root = MerkleTree.Root(LogIds.SplitFrontier(reader.GetFieldValue<byte[]>(2)));
                checkpoints.Add((logId, size, root, signer.Sign(Body(OriginOf(logId), size, root))));
            }
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO audit_checkpoints (log_id, tree_size, root_hash, note, signed_at) SELECT u.*, $5 FROM unnest($1::text[], $2::bigint[], $3::bytea[], $4::text[]) AS u",
            connection);
        insert.Parameters.Add(new() { Value = checkpoints.Select(c => c.Log).ToArray() });
        insert.Parameters.Add(new() { Value = checkpoints.Select(c => c.Size).ToArray() });
        insert.Parameters.Add(new() { Value = checkpoints.Select(c => c.Root).ToArray() });
        insert.Parameters.Add(new() { Value = checkpoints.Select(c => c.Note).ToArray() });
        insert.Parameters.Add(new() { Value = time.GetUtcNow() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        LogPublished(logger, checkpoints.Count);
        return checkpoints.Count;
    }

    [LoggerMessage(EventId = 4310, Level = LogLevel.Debug, Message = "Signed {Count} audit log checkpoints")]
    private static partial void LogPublished(ILogger logger, int count);

    [LoggerMessage(EventId = 4311, Level = LogLevel.Warning, Message = "Audit log checkpoints were not published this time ({Reason}); the next tick tries again")]
    private static partial void LogNotPublished(ILogger logger, string reason);
}
