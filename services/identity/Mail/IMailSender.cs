namespace Platform.Identity.Mail;

/// <summary>Delivers one mail: SMTP in production (<see cref="SmtpMailSender"/>), a folder in development (<see cref="FolderMailSender"/>).</summary>
internal interface IMailSender
{
    Task SendAsync(long id, string recipient, string subject, string body, CancellationToken cancellationToken);
}
