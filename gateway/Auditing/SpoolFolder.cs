using System.Globalization;

namespace Platform.Gateway.Auditing;

/// <summary>
/// One gateway process's spool: numbered append-only segments of newline-delimited JSON and a checkpoint
/// ("segment offset") of what RabbitMQ has confirmed. The folder is locked while in use.
/// </summary>
internal sealed class SpoolFolder : IDisposable
{
    private const int MaxFolders = 64;
    private readonly FileStream lockFile;

    private SpoolFolder(string path, FileStream lockFile)
    {
        Path = path;
        this.lockFile = lockFile;
    }

    public string Path { get; }

    public static SpoolFolder Acquire(string parent)
    {
        for (var n = 0; n < MaxFolders; n++)
        {
            var path = Directory.CreateDirectory(System.IO.Path.Combine(parent, $"spool-{n}"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute).FullName;
            try
            {
                var lockFile = new FileStream(System.IO.Path.Combine(path, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return new SpoolFolder(path, lockFile);
            }
            catch (IOException)
            {
                // Another live gateway process holds this one.
            }
        }

        throw new InvalidOperationException($"All {MaxFolders} spool folders under '{parent}' are in use.");
    }

    public string SegmentPath(long segment) => System.IO.Path.Combine(Path, $"{segment:D12}.ndjson");

    public IReadOnlyList<long> Segments() =>
        Directory.EnumerateFiles(Path, "*.ndjson")
            .Select(f => long.TryParse(System.IO.Path.GetFileNameWithoutExtension(f), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1)
            .Where(n => n >= 0)
            .Order()
            .ToList();

    public (long Segment, long Offset) ReadCheckpoint()
    {
        var file = System.IO.Path.Combine(Path, "checkpoint");
        if (File.Exists(file)
            && File.ReadAllText(file).Split(' ') is [var s, var o]
            && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var segment)
            && long.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return (segment, offset);
        }

        return (Segments().FirstOrDefault(), 0);
    }

    public void WriteCheckpoint(long segment, long offset)
    {
        var file = System.IO.Path.Combine(Path, "checkpoint");
        File.WriteAllText(file + ".tmp", string.Create(CultureInfo.InvariantCulture, $"{segment} {offset}"));
        File.Move(file + ".tmp", file, overwrite: true);
    }

    public void Dispose() => lockFile.Dispose();
}
