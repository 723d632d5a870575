using Npgsql;

namespace Platform.Identity.Mail;

/// <summary>
/// Sends unsent rows of <c>outgoing_mail</c>, oldest first, locked with SKIP LOCKED so replicas share the table; a
/// failed send is retried with capped exponential backoff and never given up.
/// </summary>
internal sealed partial class MailRelay(NpgsqlDataSource dataSource, IMailSender sender, TimeProvider clock, ILogger<MailRelay> logger) : BackgroundService
{
    private static readonly TimeSpan poll = TimeSpan.FromMilliseconds(250);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var sent = await SendBatchAsync(stoppingToken);
                // Real time on purpose: polling is not business time, and a test's frozen clock must not stop delivery.
                if (sent == 0) await Task.Delay(poll, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception) when (exception is NpgsqlException or IOException or InvalidOperationException)
            {
                LogRelayFailed(logger, exception.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task<int> SendBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var batch = new List<(long Id, string To, string Subject, string Body, int Attempts)>();
        await using (var select = new NpgsqlCommand(
            "SELECT id, recipient, subject, body, attempts FROM outgoing_mail WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED",
            connection, transaction))
        {
            select.Parameters.AddWithValue(now);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                batch.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4)));
            }
        }

        foreach (var mail in batch)
        {
            try
            {
                await sender.SendAsync(mail.Id, mail.To, mail.Subject, mail.Body, cancellationToken);
                await using var done = new NpgsqlCommand("UPDATE outgoing_mail SET sent_at = $2, attempts = attempts + 1 WHERE id = $1", connection, transaction);
                done.Parameters.AddWithValue(mail.Id);
                done.Parameters.AddWithValue(clock.GetUtcNow());
                await done.ExecuteNonQueryAsync(cancellationToken);
                LogMailSent(logger, mail.Id);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Net.Mail.SmtpException)
            {
                var delay = TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, mail.Attempts)));
                await using var failed = new NpgsqlCommand(
                    "UPDATE outgoing_mail SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3 WHERE id = $1", connection, transaction);
                failed.Parameters.AddWithValue(mail.Id);
                failed.Parameters.AddWithValue(clock.GetUtcNow() + delay);
                failed.Parameters.AddWithValue(exception.GetType().Name);
                await failed.ExecuteNonQueryAsync(cancellationToken);
                LogSendFailed(logger, mail.Id, mail.Attempts + 1, exception.GetType().Name);
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Debug, Message = "Mail {MailId} sent")]
    private static partial void LogMailSent(ILogger logger, long mailId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Mail {MailId} not sent (attempt {Attempt}): {ExceptionType}")]
    private static partial void LogSendFailed(ILogger logger, long mailId, int attempt, string exceptionType);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "Mail relay batch failed: {ExceptionType}")]
    private static partial void LogRelayFailed(ILogger logger, string exceptionType);
}
