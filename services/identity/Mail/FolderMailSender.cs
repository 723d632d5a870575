using System.Text;

namespace Platform.Identity.Mail;

/// <summary>Development delivery: each mail becomes <c>&lt;id&gt;.eml</c> in <c>Identity:Mail:Folder</c> (see README).</summary>
internal sealed class FolderMailSender(string folder, string from) : IMailSender
{
    public string Folder { get; } = folder;

    public async Task SendAsync(long id, string recipient, string subject, string body, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var text = new StringBuilder()
            .Append("From: ").Append(from).Append("\r\n")
            .Append("To: ").Append(recipient).Append("\r\n")
            .Append("Subject: ").Append(subject).Append("\r\n")
            .Append("Content-Type: text/plain; charset=utf-8\r\n\r\n")
            .Append(body.ReplaceLineEndings("\r\n"))
            .ToString();
        var path = Path.Combine(Folder, $"{id:D10}.eml");
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, text, cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }
}
