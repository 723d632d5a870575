using Npgsql;

namespace Platform.Identity.Mail;

/// <summary>
/// Outgoing mail is written in the same transaction as the change that causes it (a verification token, an
/// invitation) and sent afterwards by <see cref="MailRelay"/>, which retries until the sender accepts it.
/// </summary>
internal sealed class MailOutbox(TimeProvider clock)
{
    public async Task EnqueueAsync(NpgsqlTransaction transaction, string recipient, string subject, string body, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO outgoing_mail (recipient, subject, body, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $4)",
            transaction.Connection, transaction);
        command.Parameters.AddWithValue(recipient);
        command.Parameters.AddWithValue(subject);
        command.Parameters.AddWithValue(body);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
