using System.Net.Mail;

namespace Platform.Identity.Mail;

/// <summary>Production delivery through an SMTP relay (<c>Identity:Mail:SmtpHost</c>, STARTTLS).</summary>
internal sealed class SmtpMailSender(string host, int port, string from) : IMailSender
{
    public async Task SendAsync(long id, string recipient, string subject, string body, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient(host, port) { EnableSsl = true };
        using var message = new MailMessage(from, recipient, subject, body);
        await client.SendMailAsync(message, cancellationToken);
    }
}
