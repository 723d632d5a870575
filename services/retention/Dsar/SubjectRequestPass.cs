using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Retention.Closure;

namespace Platform.Retention.Dsar;

/// <summary>
/// One look for open data-subject requests that some participant has not answered <see cref="SubjectRequestOptions.RetryDelay"/>
/// after the last ask: each is asked again (a new event, the same holds), an error log naming the missing parts. Never
/// given up, never completed without every part.
/// </summary>
internal sealed partial class SubjectRequestPass(
    NpgsqlDataSource dataSource, IOutbox outbox, IOptions<SubjectRequestOptions> options, IOptions<ClosureOptions> closure, TimeProvider time, ILogger<SubjectRequestPass> logger)
    : IScheduledPass
{
    public string Name => "data-subject request";

    public TimeSpan Interval => options.Value.Interval;

    public async Task<bool> RunScheduledAsync(CancellationToken cancellationToken)
    {
        await RunAsync(cancellationToken);
        return false;
    }

    /// <summary>How many requests were asked again.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var participants = options.Value.EffectiveParticipants(closure.Value);
        var count = 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var due = new List<(string Id, string OrganizationId, string? Holds)>();
        await using (var select = new NpgsqlCommand("""
            SELECT id, organization_id, holds::text FROM subject_requests WHERE status = 'open' AND asked_at + $2 <= $1
            ORDER BY asked_at LIMIT 100 FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            select.Parameters.Add(new() { Value = now });
            select.Parameters.Add(new() { Value = options.Value.RetryDelay });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) due.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }

        foreach (var (id, organizationId, holds) in due)
        {
            var request = (await SubjectRequestStore.FindAsync(connection, transaction, organizationId, id, cancellationToken))!;
            var answered = (await SubjectRequestStore.AnswersAsync(connection, transaction, id, cancellationToken)).Select(a => a.Participant).ToHashSet(StringComparer.Ordinal);
            if (answered.Count > 0 && participants.All(answered.Contains)) continue;
            var missing = participants.Where(p => !answered.Contains(p)).ToList();
            await using (var update = new NpgsqlCommand("UPDATE subject_requests SET asked_at = $2, attempts = attempts + 1 WHERE id = $1", connection, transaction))
            {
                update.Parameters.Add(new() { Value = id });
                update.Parameters.Add(new() { Value = now });
                await update.ExecuteNonQueryAsync(cancellationToken);
            }

            var answers = await SubjectRequestStore.AnswersAsync(connection, transaction, id, cancellationToken);
            var keys = answers.FirstOrDefault(a => a.Participant == SubjectAsks.KeysParticipant);
            // An export's first round goes to whoever of the first round is missing, storage's round once keys answered.
            if (!request.IsExport || missing.Any(p => !SubjectAsks.IsStorage(p)))
                await outbox.EnqueueAsync(SubjectAsks.Ask(request, SubjectAsks.Deserialize(holds), now), transaction, cancellationToken);
            if (request.IsExport && keys is not null && missing.Any(SubjectAsks.IsStorage))
                await outbox.EnqueueAsync(SubjectAsks.UploadersAsk(request, keys.Answer, now), transaction, cancellationToken);
            LogAskedAgain(logger, id, organizationId, request.Attempts + 1, string.Join(", ", missing));
            count++;
        }

        await transaction.CommitAsync(cancellationToken);
        return count;
    }

    [LoggerMessage(EventId = 1675, Level = LogLevel.Error, Message = "Data-subject request {RequestId} of {OrganizationId}: asked again (attempt {Attempt}); not answered yet by {Missing}")]
    private static partial void LogAskedAgain(ILogger logger, string requestId, string organizationId, int attempt, string missing);
}
